/// Thrown by a verb to end the cell early *without* an error: the statements after it don't run, the reply's
/// status is `ok` and nothing is bound to `_`. `requires` uses it so a notebook cell that needs an optional
/// file (an exported ImageNet model) is skipped cleanly — a notebook run headless must have no error outputs.
/// The verb writes its own explanation before throwing; the evaluator passes this through untouched.
struct CellStop: Error {}
