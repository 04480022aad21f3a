import Datasets
import Engine
import Testing

/// `count` random 4×4 grayscale images with labels cycling through 0…9.
private func grayscale(_ count: Int) -> ImageSet {
    var g = SeededGenerator(seed: 99)
    return ImageSet(
        name: "gray", height: 4, width: 4, channels: 1, pixels: (0..<count * 16).map { _ in UInt8.random(in: 0...255, using: &g) },
        labels: (0..<count).map { UInt8($0 % 10) })
}

@Test func paletteHasTenDistinctColors() {
    #expect(ImageSet.palette.count == 10)
    #expect(Set(ImageSet.palette.map { [$0.r, $0.g, $0.b] }).count == 10)
}

@Test func colorizingIsDeterministicPerSeed() throws {
    let base = grayscale(200)
    let a = try ImageSet.colorized(base, bias: 0.7, background: true, seed: 1)
    let b = try ImageSet.colorized(base, bias: 0.7, background: true, seed: 1)
    let c = try ImageSet.colorized(base, bias: 0.7, background: true, seed: 2)
    #expect(a.channels == 3 && a.count == 200 && a.pixels.count == 200 * 16 * 3)
    #expect(a.labels == base.labels && a.name == "gray-colorized")
    #expect(a.pixels == b.pixels && a.colors == b.colors)
    #expect(a.pixels != c.pixels && a.colors != c.colors)
}

@Test func fullBiasColorsEveryImageByItsClass() throws {
    let base = grayscale(100)
    let set = try ImageSet.colorized(base, bias: 1, background: false, seed: 5)
    #expect(set.colors == base.labels)
    // Without background each channel is intensity × color, so it can be checked pixel by pixel.
    for i in 0..<set.count {
        let color = ImageSet.palette[Int(base.labels[i])]
        for p in 0..<16 {
            let t = Float(base.pixels[i * 16 + p]) / 255, o = (i * 16 + p) * 3
            #expect(set.pixels[o..<o + 3] == [color.r, color.g, color.b].map { UInt8((t * Float($0)).rounded()) }[...])
        }
    }
}

@Test func backgroundIsADimPaletteColor() throws {
    let black = ImageSet(name: "black", height: 2, width: 2, channels: 1, pixels: [0, 0, 0, 255], labels: [3])
    let set = try ImageSet.colorized(black, bias: 1, background: true, seed: 11)
    let bg = Array(set.pixels[0..<3])
    #expect(ImageSet.palette.contains { [$0.r, $0.g, $0.b].map { UInt8((Float($0) * 0.35).rounded()) } == bg })
    #expect(set.pixels[3..<6] == set.pixels[6..<9] && set.pixels[3..<6] == bg[...])
    let fg = ImageSet.palette[3]
    #expect(set.pixels[9..<12] == [fg.r, fg.g, fg.b][...])
}

@Test func zeroBiasSpreadsColorsUniformly() throws {
    let set = try ImageSet.colorized(grayscale(5_000), bias: 0, background: false, seed: 3)
    let histogram = set.colors!.reduce(into: Array(repeating: 0, count: 10)) { $0[Int($1)] += 1 }
    #expect(histogram.allSatisfy { (400...600).contains($0) })  // expected 500, sd ≈ 21
    let matching = zip(set.colors!, set.labels).filter { $0 == $1 }.count
    #expect((400...600).contains(matching))  // chance agreement, 1 in 10
}

@Test func anImagesColorDoesNotDependOnWhichOthersAreColorized() throws {
    let base = grayscale(300)
    let whole = try ImageSet.colorized(base, bias: 0.5, background: true, seed: 8)
    let picked = [299, 7, 150, 0]
    let sub = try ImageSet.colorized(base.subset(picked), bias: 0.5, background: true, seed: 8)
    #expect(sub.colors == picked.map { whole.colors![$0] })
    #expect(sub.pixels == whole.subset(picked).pixels)
    #expect(sub.ids == picked)
    #expect(try ImageSet.colorized(base.prefix(40), bias: 0.5, background: true, seed: 8).pixels == whole.prefix(40).pixels)
}

@Test(arguments: [-0.1, 1.5, Double.nan])
func invalidBiasMessage(_ bias: Double) throws {
    let error = #expect(throws: DatasetError.self) {
        try ImageSet.colorized(grayscale(1), bias: bias, background: false, seed: 0)
    }
    #expect(error?.reported == """
        error: invalid color bias \(bias): expected a number from 0 to 1
        hint: the bias is the probability that a digit is drawn in its class color (0 = random colors, 1 = always the class color)
        """)
}
