import Engine

extension ImageSet {
    /// Ten fully saturated colors at hues 0°, 36°, …, 324° (HSV with S = V = 1), one per class.
    public static let palette: [(r: UInt8, g: UInt8, b: UInt8)] = [
        (255, 0, 0), (255, 153, 0), (204, 255, 0), (51, 255, 0), (0, 255, 102),
        (0, 255, 255), (0, 102, 255), (51, 0, 255), (204, 0, 255), (255, 0, 153),
    ]

    /// Names of the palette entries, for legends.
    public static let paletteNames = ["red", "orange", "lime", "green", "spring green", "cyan", "azure", "violet", "magenta", "rose"]

    /// How dim the background color is where the digit is absent.
    public static let backgroundLevel: Float = 0.35

    /// A 3-channel copy of a grayscale set in which color correlates with the label.
    ///
    /// Image i of class c takes foreground `palette[c]` with probability `bias`, otherwise a
    /// uniformly drawn palette entry (which may also be c). With intensity t = byte/255, each
    /// channel is `t·fg`, or with `background` `t·fg + (1 − t)·0.35·bg` for a second uniformly
    /// drawn palette color bg, rounded to the nearest byte. Each image's draws come from its own
    /// generator seeded by (seed, image id), so subsets and limits do not change its colors.
    public static func colorized(
        _ base: ImageSet, bias: Double, background: Bool, seed: UInt64
    ) throws(DatasetError) -> ImageSet {
        precondition(base.channels == 1, "colorize a grayscale set")
        precondition(base.labels.allSatisfy { $0 < palette.count }, "one palette color per class 0–9")
        guard bias >= 0 && bias <= 1 else { throw .invalidBias(bias) }
        let size = base.height * base.width
        var pixels = [UInt8](repeating: 0, count: base.count * size * 3)
        var colors = [UInt8](repeating: 0, count: base.count)
        pixels.withUnsafeMutableBufferPointer { out in
            base.pixels.withUnsafeBufferPointer { src in
                for i in 0..<base.count {
                    let id = UInt64(truncatingIfNeeded: base.ids[i])
                    var rng = SeededGenerator(seed: seed ^ (id &* 0x9E37_79B9_7F4A_7C15), stream: "colorize")
                    let label = Int(base.labels[i])
                    let fgIndex = rng.nextUnitDouble() < bias ? label : rng.index(below: palette.count)
                    let fg = palette[fgIndex]
                    let bg = background ? palette[rng.index(below: palette.count)] : (r: 0, g: 0, b: 0)
                    colors[i] = UInt8(fgIndex)
                    let f = (Float(fg.r), Float(fg.g), Float(fg.b))
                    let level = backgroundLevel, b = (Float(bg.r) * level, Float(bg.g) * level, Float(bg.b) * level)
                    for p in 0..<size {
                        let t = unitIntensity[Int(src[i * size + p])], o = (i * size + p) * 3
                        out[o] = UInt8(t * f.0 + (1 - t) * b.0 + 0.5)
                        out[o + 1] = UInt8(t * f.1 + (1 - t) * b.1 + 0.5)
                        out[o + 2] = UInt8(t * f.2 + (1 - t) * b.2 + 0.5)
                    }
                }
            }
        }
        return ImageSet(
            name: base.name + "-colorized", height: base.height, width: base.width, channels: 3, pixels: pixels,
            labels: base.labels, colors: colors, ids: base.ids, sources: base.sources)
    }
}
