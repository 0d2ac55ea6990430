print("fovea-kernel: not yet wired")
