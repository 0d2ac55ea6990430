/// Seeded RNGs and tolerances shared by the test targets.
import Engine
public enum TestSupport {}
