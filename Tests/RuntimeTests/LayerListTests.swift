import Engine
import Notebook
import Runtime
import Testing

/// Every layer-list error, verbatim and at its position: the wording comes from the parser's one
/// generic walk over the engine's layer kinds (the encoder list starts at line 16, column 10).
@Test("layer list errors", arguments: [
    ("[]", "16:10: error: option 'encoder': expects a list of layers, got a list"),
    ("flatten", "16:10: error: option 'encoder': expects a list of layers, got 'flatten'"),
    ("[{dense: {units: 2}, flatten: 1}]", "16:11: error: option 'encoder': a layer is one 'type: parameters' entry"),
    ("[[flatten]]", "16:11: error: option 'encoder': a layer is a type name or one 'type: parameters' entry"),
    ("[pool]", "16:11: error: option 'encoder': unknown layer type 'pool'"),
    ("[conv2d_transpos]", "16:11: error: option 'encoder': unknown layer type 'conv2d_transpos' (did you mean 'conv2d_transpose'?)"),
    ("[dense]", "16:11: error: option 'encoder': dense needs parameters, e.g. {units: …}"),
    ("[{dense: 4}]", "16:19: error: option 'encoder': dense needs parameters, e.g. {units: …}"),
    ("[{dense: {activation: relu}}]", "16:19: error: option 'encoder': dense needs 'units'"),
    ("[{dense: {units: 0}}]", "16:27: error: option 'encoder': dense 'units' must be an integer between 1 and 4096, got '0'"),
    ("[{dense: {units: \"8\"}}]", "16:27: error: option 'encoder': dense 'units' must be an integer between 1 and 4096, got '8'"),
    ("[{dense: {units: 8, activation: tanhh}}]", "16:42: error: option 'encoder': activation must be one of linear, relu, sigmoid, tanh, leaky_relu, got 'tanhh'"),
    ("[{conv2d: {kernel: 0}}]", "16:20: error: option 'encoder': conv2d needs 'filters'"),
    ("[{conv2d: {padding: full, filters: 0}}]", "16:45: error: option 'encoder': conv2d 'filters' must be an integer between 1 and 4096, got '0'"),
    ("[{conv2d: {filters: 8, padding: full}}]", "16:42: error: option 'encoder': padding must be same or valid, got 'full'"),
    ("[{conv2d_transpose: {filters: 8, strides: 1.5}}]", "16:52: error: option 'encoder': conv2d_transpose 'strides' must be an integer between 1 and 4096, got '1.5'"),
    ("[{residual: {filters: 8, kernel: 3}}]", "16:35: error: option 'encoder': residual has no parameter 'kernel'"),
    ("[reshape]", "16:11: error: option 'encoder': reshape takes a list of sizes, e.g. [7, 7, 64]"),
    ("[{reshape: 7}]", "16:21: error: option 'encoder': reshape takes a list of sizes, e.g. [7, 7, 64]"),
    ("[{reshape: [7, x]}]", "16:21: error: option 'encoder': reshape sizes must be integers between 1 and 4096"),
    ("[{reshape: [4097]}]", "16:21: error: option 'encoder': reshape sizes must be integers between 1 and 4096"),
    ("[activation]", "16:11: error: option 'encoder': activation takes one of linear, relu, sigmoid, tanh, leaky_relu"),
    ("[{activation: relux}]", "16:24: error: option 'encoder': activation takes one of linear, relu, sigmoid, tanh, leaky_relu"),
])
func layerListErrors(list: String, message: String) {
    let found = problems("```train t\ndata: digits\nencoder: \(list)\ndecoder: [flatten]\n```")
    #expect(found == ["nb.md:" + message])
}

/// Each kind written as a notebook writes it, with defaults filled in from its declaration.
@Test func layerListsParseIntoEveryKind() throws {
    let source = """
        ```dataset digits
        source: mnist
        limit: 10
        ```

        ```train t
        data: digits
        encoder:
          - conv2d: {filters: 8, strides: 2, activation: relu}
          - residual: {filters: 8}
          - activation: tanh
          - flatten
          - dense: {units: 2}
        decoder:
          - dense: {units: 1568, activation: leaky_relu}
          - reshape: [14, 14, 8]
          - conv2d_transpose: {filters: 1, kernel: 5, strides: 2, padding: same, activation: sigmoid}
        latent: 2
        ```
        """
    let plan = Plan(source: source, file: "nb.md", profile: .quick)
    #expect(plan.diagnostics.map(\.description) == [])
    let step = try #require(plan.step(named: "t"))
    #expect(step.options["encoder"] == .layers([
        .conv2d(filters: 8, kernel: 3, stride: 2, padding: .same, activation: .relu), .residual(filters: 8, stride: 1),
        .activation(.tanh), .flatten, .dense(units: 2, activation: .linear)]))
    #expect(step.options["decoder"] == .layers([
        .dense(units: 1568, activation: .leakyRelu), .reshape([14, 14, 8]),
        .conv2dTranspose(filters: 1, kernel: 5, stride: 2, padding: .same, activation: .sigmoid)]))
    // And the engine builds it: 28 × 28 × 1 in, the same out.
    let spec = ModelSpec(input: [28, 28, 1], latent: 2, encoder: step.options["encoder"].flatMap { if case .layers(let l) = $0 { l } else { nil } } ?? [],
                         decoder: step.options["decoder"].flatMap { if case .layers(let l) = $0 { l } else { nil } } ?? [])
    let model = try Model(spec)
    #expect(model.layers.map(\.typeName) == ["Conv2D", "ResidualBlock", "Activation", "Flatten", "Dense", "Dense", "Reshape", "Conv2DTranspose"])
    #expect(model.outputActivation == .sigmoid)
}

/// The Keras blog's convolutional autoencoder, pooling down and upsampling back: kinds whose
/// parameters all have defaults may be named alone.
@Test func poolingAndUpsamplingLayers() throws {
    let source = """
        ```dataset digits
        source: mnist
        limit: 10
        ```

        ```train t
        data: digits
        encoder:
          - conv2d: {filters: 16, activation: relu}
          - max_pooling2d
          - conv2d: {filters: 8, activation: relu}
          - max_pooling2d: {pool_size: 2, padding: same}
          - flatten
          - dense: {units: 2}
        decoder:
          - dense: {units: 392, activation: relu}
          - reshape: [7, 7, 8]
          - up_sampling2d
          - conv2d: {filters: 8, activation: relu}
          - up_sampling2d: {size: 2}
          - conv2d: {filters: 1, activation: sigmoid}
        ```
        """
    let plan = Plan(source: source, file: "nb.md", profile: .quick)
    #expect(plan.diagnostics.map(\.description) == [])
    let step = try #require(plan.step(named: "t"))
    guard case .layers(let encoder)? = step.options["encoder"], case .layers(let decoder)? = step.options["decoder"] else {
        Issue.record("no layer lists"); return
    }
    let model = try Model(ModelSpec(input: [28, 28, 1], latent: 2, encoder: encoder, decoder: decoder))
    #expect(model.layers.map(\.outputShape) == [[28, 28, 16], [14, 14, 16], [14, 14, 8], [7, 7, 8], [392], [2],
                                                [392], [7, 7, 8], [14, 14, 8], [14, 14, 8], [28, 28, 8], [28, 28, 1]])
    #expect(model.summary.tables.flatMap(\.rows).map(\.name) == [
        "input_layer", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "z",
        "input_layer_1", "dense", "reshape", "up_sampling2d", "conv2d_2", "up_sampling2d_1", "conv2d_3"])
    #expect(problems("```train u\ndata: digits\nencoder: [{max_pooling2d: {pool_size: 0}}]\ndecoder: [flatten]\n```")
            == ["nb.md:16:39: error: option 'encoder': max_pooling2d 'pool_size' must be an integer between 1 and 4096, got '0'"])
}
