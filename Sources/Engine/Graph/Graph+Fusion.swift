extension Graph {
    /// Convolutions to run with the ReLU after them fused in (`Conv.forward(_:rectified:)`), as conv node index →
    /// Relu node index: each Conv among `order` whose output only that Relu reads and nobody keeps (`keep`: values
    /// fetched, captured, or read by a backward pass). The rectifier then runs on each band of the output while
    /// the GEMM has just left it in cache, and the unrectified map is never stored: in a SqueezeNet saliency cell
    /// that is all 26 ReLUs, ≈ 0.45 ms of separate passes over the feature maps.
    func rectifiedConvolutions(in order: [Int], keeping keep: Set<String>) -> [Int: Int] {
        var readers: [String: [Int]] = [:]
        for i in order {
            for v in nodes[i].inputs where !v.isEmpty { readers[v, default: []].append(i) }
        }
        var fused: [Int: Int] = [:]
        for i in order where nodes[i].op is Conv {
            guard nodes[i].outputs.count == 1, let v = nodes[i].outputs.first, !v.isEmpty, !keep.contains(v),
                  let reader = readers[v], reader.count == 1, nodes[reader[0]].op is Relu,
                  nodes[reader[0]].inputs == [v], nodes[reader[0]].outputs.count == 1
            else { continue }
            fused[i] = reader[0]
        }
        return fused
    }
}
