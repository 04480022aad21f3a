import Foundation
import ReportModel
import Runtime

/// Where the tiles of a composited grid lie, in PNG pixels, so the HTML can draw row labels
/// and axis values as text around the image instead of baking them into it.
public struct GridGeometry: Hashable, Sendable {
    public let rows, columns: Int
    /// One image after upscaling.
    public let tileWidth, tileHeight: Int
    /// Background pixels between neighbouring tiles (none around the edge).
    public let gap: Int
    /// The whole image.
    public let width, height: Int

    /// Left edge of a column's tiles; its centre is `x(column:) + tileWidth / 2`.
    public func x(column: Int) -> Int { column * (tileWidth + gap) }
    /// Top edge of a row's tiles.
    public func y(row: Int) -> Int { row * (tileHeight + gap) }
}

/// Draws an `ImageGrid` as one PNG. The default scale 2 keeps 28-pixel MNIST digits legible
/// (56 px tiles; a 15×15 manifold is 868 px wide) without making the report heavy.
public enum ImageGridRender {
    public static func geometry(_ grid: ImageGrid, scale: Int = 2, gap: Int = 2) -> GridGeometry {
        precondition(grid.rows > 0 && grid.columns > 0 && grid.height > 0 && grid.width > 0,
                     "empty image grid \(grid.rows)×\(grid.columns) of \(grid.height)×\(grid.width)")
        precondition(scale > 0 && gap >= 0, "scale \(scale), gap \(gap)")
        let tileWidth = grid.width * scale, tileHeight = grid.height * scale
        return GridGeometry(rows: grid.rows, columns: grid.columns, tileWidth: tileWidth, tileHeight: tileHeight, gap: gap,
                            width: grid.columns * (tileWidth + gap) - gap, height: grid.rows * (tileHeight + gap) - gap)
    }

    /// Tiles the grid's images (NHWC values in [0, 1], row-major over the grid) with `gap`
    /// pixels of `background` between them, each pixel repeated `scale` times each way.
    /// Trailing tiles without an image stay background. Gray stays gray, RGB stays RGB.
    public static func composite(_ grid: ImageGrid, pixels: [Float], scale: Int = 2, gap: Int = 2,
                                 background: UInt8 = 255) -> (width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        let g = geometry(grid, scale: scale, gap: gap)
        let c = grid.channels
        let imageSize = grid.height * grid.width * c
        precondition(pixels.count % imageSize == 0 && pixels.count / imageSize <= grid.rows * grid.columns,
                     "\(pixels.count) values do not make at most \(grid.rows * grid.columns) images of \(grid.height)×\(grid.width)×\(c)")
        var bytes = [UInt8](repeating: background, count: g.width * g.height * c)
        let outStride = g.width * c
        var scaledRow = [UInt8](repeating: 0, count: g.tileWidth * c)
        for image in 0..<pixels.count / imageSize {
            let left = g.x(column: image % grid.columns), top = g.y(row: image / grid.columns)
            for y in 0..<grid.height {
                // Build one upscaled source row, then copy it into `scale` output rows.
                let source = image * imageSize + y * grid.width * c
                for x in 0..<grid.width {
                    for k in 0..<c {
                        let byte = quantize(pixels[source + x * c + k])
                        for s in 0..<scale { scaledRow[(x * scale + s) * c + k] = byte }
                    }
                }
                for s in 0..<scale {
                    let start = (top + y * scale + s) * outStride + left * c
                    bytes.replaceSubrange(start..<start + scaledRow.count, with: scaledRow)
                }
            }
        }
        return (g.width, g.height, c, bytes)
    }

    /// The composited grid as PNG bytes.
    public static func png(_ grid: ImageGrid, pixels: [Float], scale: Int = 2, gap: Int = 2, background: UInt8 = 255) -> [UInt8] {
        let image = composite(grid, pixels: pixels, scale: scale, gap: gap, background: background)
        return PNG.encode(width: image.width, height: image.height, channels: image.channels, pixels: image.bytes)
    }

    /// For an `<img src>`.
    public static func pngDataURI(_ png: [UInt8]) -> String {
        "data:image/png;base64," + Data(png).base64EncodedString()
    }

    /// FNV-1a 64 of the bytes, 16 hex digits: a cheap key for embedding identical images once.
    /// Collisions are negligible at the few hundred images a report holds.
    public static func fingerprint(_ png: [UInt8]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in png { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hex(hash, width: 16)
    }

    /// [0, 1] → 0…255, rounding half away from zero; out-of-range values clamp and NaN is 0.
    static func quantize(_ v: Float) -> UInt8 {
        v.isNaN ? 0 : UInt8((min(max(v, 0), 1) * 255).rounded())
    }
}
