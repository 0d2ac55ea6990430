/// The numerical core: tensors, layers, graphs, models, experiments and pictures. Knows nothing of Jupyter.
public enum EngineInfo { public static let version = "0.1.0" }
