/// The Fovea language: lexer, parser, evaluator, verb registry, display and session state.
import Engine
import Protocol
