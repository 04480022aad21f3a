import Engine
import Foundation
import Testing

/// One layer of every kind, with what the enum that `LayerSpec` replaced printed for it (cache
/// keys hold this text) and encoded as checkpoint JSON. Taken from that enum's own output, so
/// caches and checkpoints written before the registry stay valid.
let everyKind: [(spec: LayerSpec, key: String, json: String)] = [
    (.conv2d(filters: 32, kernel: 3, stride: 2, padding: .same, activation: .relu),
     "conv2d(filters: 32, kernel: 3, stride: 2, padding: Engine.Padding.same, activation: Engine.Activation.relu)",
     #"{"conv2d":{"activation":"relu","filters":32,"kernel":3,"padding":"same","stride":2}}"#),
    (.conv2dTranspose(filters: 1, kernel: 5, stride: 1, padding: .valid, activation: .leakyRelu),
     "conv2dTranspose(filters: 1, kernel: 5, stride: 1, padding: Engine.Padding.valid, activation: Engine.Activation.leakyRelu)",
     #"{"conv2dTranspose":{"activation":"leaky_relu","filters":1,"kernel":5,"padding":"valid","stride":1}}"#),
    (.dense(units: 16, activation: .linear), "dense(units: 16, activation: Engine.Activation.linear)",
     #"{"dense":{"activation":"linear","units":16}}"#),
    (.flatten, "flatten", #"{"flatten":{}}"#),
    (.reshape([7, 7, 64]), "reshape([7, 7, 64])", #"{"reshape":{"_0":[7,7,64]}}"#),
    (.activation(.tanh), "activation(Engine.Activation.tanh)", #"{"activation":{"_0":"tanh"}}"#),
    (.residual(filters: 64, stride: 2), "residual(filters: 64, stride: 2)", #"{"residual":{"filters":64,"stride":2}}"#),
    // Kinds added after the enum.
    (LayerSpec(MaxPooling2DKind()), "max_pooling2d(pool: 2, padding: Engine.Padding.valid)", #"{"max_pooling2d":{"padding":"valid","pool":2}}"#),
    (LayerSpec(UpSampling2DKind()), "up_sampling2d(size: 2)", #"{"up_sampling2d":{"size":2}}"#),
]

@Test func everyRegisteredKindHasAGolden() {
    #expect(Set(everyKind.map(\.spec.name)) == Set(LayerKinds.names))
    #expect(LayerKinds.names == ["conv2d", "conv2d_transpose", "dense", "flatten", "reshape", "activation", "residual",
                                 "max_pooling2d", "up_sampling2d"])
}

@Test func cacheKeyTextIsTheOldEnumsDescription() {
    for k in everyKind { #expect(k.spec.description == k.key) }
}

@Test func checkpointJSONIsTheOldEnumsAndRoundTrips() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    for k in everyKind {
        #expect(String(decoding: try encoder.encode(k.spec), as: UTF8.self) == k.json)
        let back = try JSONDecoder().decode(LayerSpec.self, from: Data(k.json.utf8))
        #expect(back == k.spec)
        #expect(back.hashValue == k.spec.hashValue)
    }
}

@Test func equalityLooksAtKindAndParameters() {
    #expect(LayerSpec.dense(units: 4) == .dense(units: 4, activation: .linear))
    #expect(LayerSpec.dense(units: 4) != .dense(units: 5))
    #expect(LayerSpec.reshape([4]) != .dense(units: 4))
    #expect(LayerSpec.conv2d(filters: 8) != .conv2dTranspose(filters: 8))
}

@Test("hostile checkpoint layer JSON", arguments: [
    (#"{"pool":{"size":2}}"#, "unknown layer kind 'pool'"),
    (#"{"dense":{"units":2},"flatten":{}}"#, "a layer is one {kind: parameters} entry"),
    (#"{}"#, "a layer is one {kind: parameters} entry"),
])
func hostileLayerJSON(json: String, message: String) {
    do {
        _ = try JSONDecoder().decode(LayerSpec.self, from: Data(json.utf8))
        Issue.record("decoded \(json)")
    } catch DecodingError.dataCorrupted(let context) {
        #expect(context.debugDescription == message)
    } catch {
        Issue.record("\(error)")
    }
}

/// Keras's output sizes: valid drops a partial window, same keeps it; values are the window maxima.
@Test func maxPoolingAndUpSamplingFollowKeras() {
    #expect(MaxPooling2D(inputShape: [7, 7, 3], pool: 2).outputShape == [3, 3, 3])
    #expect(MaxPooling2D(inputShape: [7, 7, 3], pool: 2, padding: .same).outputShape == [4, 4, 3])
    #expect(UpSampling2D(inputShape: [4, 5, 2], size: 3).outputShape == [12, 15, 2])
    // One 3 × 3 one-channel image, pooled 2 × 2 `same`: windows {1,2,4,5}, {3,6}, {7,8}, {9}.
    let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map { Float($0) * (Int($0) % 2 == 0 ? -1 : 1) }
    let pooled = run(MaxPooling2D(inputShape: [3, 3, 1], pool: 2, padding: .same), x)
    #expect(pooled == [5, 3, 7, 9])
    #expect(run(UpSampling2D(inputShape: [1, 2, 1], size: 2), [1, 2]) == [1, 1, 2, 2, 1, 1, 2, 2])
}

private func run(_ layer: any Layer, _ x: [Float]) -> [Float] {
    var y = [Float](repeating: .nan, count: layer.outputCount)
    let empty = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    defer { empty.deallocate() }
    let memory = LayerMemory(saved: empty, temp: empty, scratch: empty, kernels: KernelCache())
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            layer.forward(x: xp.baseAddress!, y: yp.baseAddress!, batch: 1, params: empty, memory: memory)
        }
    }
    return y
}
