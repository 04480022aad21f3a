import ReportModel

/// Keras-style `summary()`: one table per sub-model, rows named the way a fresh Keras session
/// names them (conv2d, conv2d_1, …; the latent layer "z").
public struct ModelSummary: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var type: String
        public var outputShape: [Int]
        public var parameters: Int
    }
    public struct Table: Sendable, Equatable {
        public var title: String
        public var rows: [Row]
        public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }
    }
    public var tables: [Table]
    public var totalParameters: Int { tables.reduce(0) { $0 + $1.totalParameters } }
}

extension Model {
    public var summary: ModelSummary {
        var counters: [String: Int] = [:]
        func name(for type: String) -> String {
            let base = keras(snakeCase: type)
            let n = counters[base, default: 0]
            counters[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
        func rows(_ range: Range<Int>, inputShape: [Int]) -> [ModelSummary.Row] {
            var rows = [ModelSummary.Row(name: name(for: "InputLayer"), type: "InputLayer", outputShape: inputShape, parameters: 0)]
            for i in range {
                let l = layers[i]
                if let heads = l as? VariationalHeads {
                    // As Keras's VAE example: two Dense heads and the sampling layer.
                    let each = heads.parameterCount / 2
                    rows += [.init(name: "z_mean", type: "Dense", outputShape: [heads.latent], parameters: each),
                             .init(name: "z_log_var", type: "Dense", outputShape: [heads.latent], parameters: each),
                             .init(name: name(for: "Sampling"), type: "Sampling", outputShape: [heads.latent], parameters: 0)]
                    continue
                }
                let isLatent = i == encoderCount - 1
                rows.append(.init(name: isLatent ? "z" : name(for: l.typeName), type: l.typeName,
                                  outputShape: l.outputShape, parameters: l.parameterCount))
            }
            return rows
        }
        return ModelSummary(tables: [
            .init(title: "encoder", rows: rows(0..<encoderCount, inputShape: spec.input)),
            .init(title: "decoder", rows: rows(encoderCount..<layers.count, inputShape: [spec.latent])),
        ])
    }
}

/// "Conv2DTranspose" → "conv2d_transpose", "InputLayer" → "input_layer", as Keras names layers.
func keras(snakeCase type: String) -> String {
    var out = ""
    let chars = Array(type)
    for (i, ch) in chars.enumerated() {
        if ch.isUppercase, i > 0, chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase && chars[i - 1].isUppercase) {
            out += "_"
        }
        out += ch.lowercased()
    }
    return out
}

extension ModelSummary: CustomStringConvertible {
    /// Plain-text rendering in the layout of Keras 3's `summary()`.
    public var description: String {
        tables.map { table in
            let header = ["Layer (type)", "Output Shape", "Param #"]
            let cells = table.rows.map { ["\($0.name) (\($0.type))", "(None, " + $0.outputShape.map(String.init).joined(separator: ", ") + ")",
                                          grouped($0.parameters)] }
            let widths = (0..<3).map { c in max(header[c].count, cells.map { $0[c].count }.max() ?? 0) + 2 }
            func line(_ l: String, _ m: String, _ r: String, _ fill: Character) -> String {
                l + widths.map { String(repeating: fill, count: $0 + 2) }.joined(separator: m) + r
            }
            func row(_ v: [String], _ edge: String) -> String {
                let padded = (0..<3).map { c in c == 2 ? String(repeating: " ", count: widths[c] - v[c].count) + v[c]
                                                     : v[c] + String(repeating: " ", count: widths[c] - v[c].count) }
                return edge + padded.map { " \($0) " }.joined(separator: edge) + edge
            }
            var out = ["Model: \"\(table.title)\"", line("┏", "┳", "┓", "━"), row(header, "┃"), line("┡", "╇", "┩", "━")]
            for (i, c) in cells.enumerated() {
                if i > 0 { out.append(line("├", "┼", "┤", "─")) }
                out.append(row(c, "│"))
            }
            out.append(line("└", "┴", "┘", "─"))
            let total = table.totalParameters
            out.append(" Total params: \(grouped(total)) (\(bytesText(total * 4)))")
            out.append(" Trainable params: \(grouped(total)) (\(bytesText(total * 4)))")
            out.append(" Non-trainable params: 0 (0.00 B)")
            return out.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }
}

/// Keras's byte formatting: two decimals, B/KB/MB with 1024 steps.
public func bytesText(_ bytes: Int) -> String {
    var value = Double(bytes)
    for unit in ["B", "KB", "MB", "GB"] {
        if value < 1024 || unit == "GB" { return formatFixed(value, 2) + " " + unit }
        value /= 1024
    }
    return ""
}
