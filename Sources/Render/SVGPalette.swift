/// Chart colors, fixed in order so the same series or class keeps its color across a report.
enum SVGPalette {
    /// Series (lines, histograms, bars): Okabe–Ito, safe for the common color-vision
    /// deficiencies; its yellow is last because it is faint on white.
    static let series = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// Classes (the ten digits or tints in scatter and strip plots): Tableau 10, because
    /// Okabe–Ito has only eight colors. Not every pair is colorblind-distinct, so the legend
    /// names each class.
    static let classes = ["#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC"]

    static func series(_ i: Int) -> String { series[((i % series.count) + series.count) % series.count] }
    static func `class`(_ i: Int) -> String { classes[((i % classes.count) + classes.count) % classes.count] }

    static let text = "#222", axis = "#555", grid = "#E8E8E8", muted = "#888"
}
