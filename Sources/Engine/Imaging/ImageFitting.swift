extension Image {
    /// The image scaled to fit inside `maxWidth × maxHeight` for display: shrunk with the antialiased bilinear
    /// filter when too big; enlarged by a whole factor with nearest neighbour when at least twice too small
    /// (so 28×28 digits and 3×3 filters stay crisp); otherwise left at its own size.
    public func fitted(maxWidth: Int, maxHeight: Int) -> Image {
        guard width > 0, height > 0, maxWidth > 0, maxHeight > 0 else { return self }
        let scale = min(Double(maxWidth) / Double(width), Double(maxHeight) / Double(height))
        if scale < 1 {
            return resized(
                height: max(1, Int((Double(height) * scale).rounded())),
                width: max(1, Int((Double(width) * scale).rounded())), filter: .bilinear)
        }
        let factor = Int(scale.rounded(.down))
        if factor >= 2 { return resized(height: height * factor, width: width * factor, filter: .nearest) }
        return self
    }

    /// Small images (largest side below `minimumSide`) enlarged by the largest whole factor that keeps them
    /// within `minimumSide`, nearest neighbour; others unchanged. How 28×28 digits are shown legibly.
    public func enlargedForDisplay(minimumSide: Int = 128) -> Image {
        let side = max(width, height)
        guard side > 0, side < minimumSide else { return self }
        let factor = minimumSide / side
        return factor >= 2 ? resized(height: height * factor, width: width * factor, filter: .nearest) : self
    }
}
