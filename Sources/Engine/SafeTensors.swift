import ReportModel
import Foundation

/// A checkpoint in the safetensors format, as the Python `safetensors` package reads it:
/// an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the raw data buffer.
/// Only F32 tensors are supported. Bytes in, bytes out; the caller owns the file I/O.
public struct SafeTensors: Equatable, Sendable {
    public struct Tensor: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Float]

        public init(shape: [Int], values: [Float]) {
            precondition(SafeTensors.holds(shape, values.count), "shape \(shape) does not hold \(values.count) values")
            self.shape = shape
            self.values = values
        }
    }

    /// Stored on disk sorted by the UTF-8 bytes of the name, so equal content gives equal bytes.
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The reference reader's limit; anything larger is corrupt or hostile.
    static let maxHeaderLength: UInt64 = 100_000_000
    static let metadataKey = "__metadata__"

    /// Deterministic bytes. The header is laid out like the reference writer's (metadata first,
    /// then tensors by name, fields `dtype`, `shape`, `data_offsets`), padded with spaces so the
    /// data starts 8-byte aligned.
    public func encoded() -> [UInt8] {
        let entries = tensors.sorted { Self.byteOrder($0.key, $1.key) }
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { Self.byteOrder($0.key, $1.key) }
                .map { Self.jsonString($0.key) + ":" + Self.jsonString($0.value) }
            fields.append(Self.jsonString(Self.metadataKey) + ":{" + pairs.joined(separator: ",") + "}")
        }
        var dataLength = 0
        for (name, tensor) in entries {
            precondition(name != Self.metadataKey, "a tensor cannot be named \(Self.metadataKey)")
            precondition(Self.holds(tensor.shape, tensor.values.count),
                         "tensor '\(name)' has shape \(tensor.shape) but \(tensor.values.count) values")
            // Offsets come from the values actually written, so the header always matches the data.
            let end = dataLength + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(Self.jsonString(name)
                + #":{"dtype":"F32","shape":[\#(shape)],"data_offsets":[\#(dataLength),\#(end)]}"#)
            dataLength = end
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        let total = 8 + header.count + dataLength
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            let out = UnsafeMutableRawBufferPointer(buffer)
            out.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            UnsafeMutableRawBufferPointer(rebasing: out[8..<8 + header.count]).copyBytes(from: header)
            var offset = 8 + header.count
            for (_, tensor) in entries {
                for value in tensor.values {
                    out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
                    offset += 4
                }
            }
            count = total
        }
    }

    /// Validates everything before touching the data: Engine builds with bounds checks off, so
    /// every offset must be proven in range first.
    public init(decoding bytes: [UInt8]) throws(SafeTensorsError) {
        guard bytes.count >= 8 else { throw .fileTooShort(byteCount: bytes.count) }
        let headerLength = UInt64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        guard headerLength <= Self.maxHeaderLength else { throw .headerTooLarge(length: headerLength) }
        let dataStart = 8 + Int(headerLength)
        guard dataStart <= bytes.count else {
            throw .headerTruncated(length: Int(headerLength), available: bytes.count - 8)
        }
        let headerBytes = bytes[8..<dataStart]
        guard String(bytes: headerBytes, encoding: .utf8) != nil else { throw .headerNotUTF8 }
        guard let json = try? JSONSerialization.jsonObject(with: Data(headerBytes), options: .fragmentsAllowed) else {
            throw .headerNotJSON
        }
        guard let root = json as? [String: Any] else { throw .headerNotObject }
        let dataLength = bytes.count - dataStart

        var metadata: [String: String] = [:]
        if let raw = root[Self.metadataKey] {
            guard let object = raw as? [String: Any] else { throw .metadataNotObject }
            // Sorted so that, of several bad entries, the same one is always reported.
            for (key, value) in object.sorted(by: { Self.byteOrder($0.key, $1.key) }) {
                guard let string = value as? String else { throw .metadataValueNotString(key: key) }
                metadata[key] = string
            }
        }

        var entries: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, raw) in root.sorted(by: { Self.byteOrder($0.key, $1.key) }) where name != Self.metadataKey {
            guard let info = raw as? [String: Any] else { throw .entryNotObject(tensor: name) }
            func field(_ field: SafeTensorsError.Field) throws(SafeTensorsError) -> Any {
                guard let value = info[field.rawValue] else { throw .missingField(tensor: name, field: field) }
                return value
            }
            guard let dtype = try field(.dtype) as? String else { throw .wrongFieldType(tensor: name, field: .dtype) }
            guard dtype == "F32" else { throw .unsupportedDType(tensor: name, dtype: dtype) }

            guard let dims = try field(.shape) as? [Any] else { throw .wrongFieldType(tensor: name, field: .shape) }
            var shape: [Int] = []
            for (index, dim) in dims.enumerated() {
                guard let size = Self.integer(dim), size >= 0 else {
                    throw .invalidDimension(tensor: name, index: index)
                }
                shape.append(size)
            }

            guard let offsets = try field(.dataOffsets) as? [Any], offsets.count == 2,
                  let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]), begin >= 0, end >= 0
            else { throw .wrongFieldType(tensor: name, field: .dataOffsets) }

            guard let count = elementCount(shape), case let (needed, false) = count.multipliedReportingOverflow(by: 4)
            else { throw .shapeOverflow(tensor: name, shape: shape) }
            guard end - begin == needed else {
                throw .sizeMismatch(tensor: name, begin: begin, end: end, shape: shape, neededBytes: needed)
            }
            guard end <= dataLength else {
                throw .offsetsOutOfRange(tensor: name, begin: begin, end: end, dataLength: dataLength)
            }
            entries.append((name, shape, begin, end))
        }

        // The reference reader requires tensors to tile the data buffer exactly.
        entries.sort { a, b in
            (a.begin, a.end) != (b.begin, b.end) ? (a.begin, a.end) < (b.begin, b.end) : Self.byteOrder(a.name, b.name)
        }
        var previous: (name: String, end: Int)?
        for entry in entries {
            let expected = previous?.end ?? 0
            if let previous, entry.begin < expected {
                throw .overlappingTensors(
                    tensor: entry.name, begin: entry.begin, previous: previous.name, previousEnd: expected)
            }
            guard entry.begin == expected else { throw .gap(tensor: entry.name, begin: entry.begin, expected: expected) }
            previous = (entry.name, entry.end)
        }
        let used = previous?.end ?? 0
        guard used == dataLength else { throw .unusedData(used: used, dataLength: dataLength) }

        var tensors: [String: Tensor] = [:]
        bytes.withUnsafeBytes { raw in
            for entry in entries {
                let count = (entry.end - entry.begin) / 4
                let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: dataStart + entry.begin + 4 * i, as: UInt32.self)
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                    initialized = count
                }
                tensors[entry.name] = Tensor(shape: entry.shape, values: values)
            }
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// Whether `shape` describes exactly `count` values.
    static func holds(_ shape: [Int], _ count: Int) -> Bool {
        shape.allSatisfy { $0 >= 0 } && elementCount(shape) == count
    }

    /// A JSON integer. JSONSerialization hands back NSNumber for booleans and floats too
    /// (and `2.0 as? Int` succeeds), so accept only integer-typed numbers.
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, "silqSILQ".utf8.contains(UInt8(bitPattern: number.objCType.pointee))
        else { return nil }
        return number as? Int
    }

    /// Byte order, like the reference writer (and unlike `String.<`, which compares normalized scalars).
    private static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// A JSON string literal, escaped as serde_json does (so headers match the reference writer's).
    private static func jsonString(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

public enum SafeTensorsError: UserError, Equatable {
    public enum Field: String, Sendable {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }

    case fileTooShort(byteCount: Int)
    case headerTooLarge(length: UInt64)
    case headerTruncated(length: Int, available: Int)
    case headerNotUTF8
    case headerNotJSON
    case headerNotObject
    case metadataNotObject
    case metadataValueNotString(key: String)
    case entryNotObject(tensor: String)
    case missingField(tensor: String, field: Field)
    case wrongFieldType(tensor: String, field: Field)
    case unsupportedDType(tensor: String, dtype: String)
    case invalidDimension(tensor: String, index: Int)
    case shapeOverflow(tensor: String, shape: [Int])
    case sizeMismatch(tensor: String, begin: Int, end: Int, shape: [Int], neededBytes: Int)
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataLength: Int)
    case overlappingTensors(tensor: String, begin: Int, previous: String, previousEnd: Int)
    case gap(tensor: String, begin: Int, expected: Int)
    case unusedData(used: Int, dataLength: Int)

    public var message: String {
        let message = switch self {
        case .fileTooShort(let count):
            "file is \(count) bytes, too short for the 8-byte header length"
        case .headerTooLarge(let length):
            "header length \(length) exceeds the limit of \(SafeTensors.maxHeaderLength) bytes"
        case .headerTruncated(let length, let available):
            "header length is \(length) bytes but only \(available) bytes follow (file truncated?)"
        case .headerNotUTF8:
            "header is not valid UTF-8"
        case .headerNotJSON:
            "header is not valid JSON"
        case .headerNotObject:
            "header is not a JSON object"
        case .metadataNotObject:
            "'__metadata__' is not a JSON object"
        case .metadataValueNotString(let key):
            "metadata value for '\(key)' is not a string"
        case .entryNotObject(let tensor):
            "tensor '\(tensor)' is not a JSON object"
        case .missingField(let tensor, let field):
            "tensor '\(tensor)' has no '\(field.rawValue)'"
        case .wrongFieldType(let tensor, .dtype):
            "tensor '\(tensor)' has a 'dtype' that is not a string"
        case .wrongFieldType(let tensor, .shape):
            "tensor '\(tensor)' has a 'shape' that is not an array"
        case .wrongFieldType(let tensor, .dataOffsets):
            "tensor '\(tensor)' has 'data_offsets' that are not two non-negative integers"
        case .unsupportedDType(let tensor, let dtype):
            "tensor '\(tensor)' has dtype '\(dtype)'; only F32 is supported"
        case .invalidDimension(let tensor, let index):
            "tensor '\(tensor)' has shape dimension \(index) that is not a non-negative integer"
        case .shapeOverflow(let tensor, let shape):
            "tensor '\(tensor)' has shape \(shape), too large to address"
        case .sizeMismatch(let tensor, let begin, let end, let shape, let needed):
            "tensor '\(tensor)' has data_offsets [\(begin), \(end)] but its shape \(shape) needs \(needed) bytes"
        case .offsetsOutOfRange(let tensor, let begin, let end, let length):
            "tensor '\(tensor)' has data_offsets [\(begin), \(end)] past the end of the \(length)-byte data buffer"
                + " (file truncated?)"
        case .overlappingTensors(let tensor, let begin, let previous, let previousEnd):
            "tensor '\(tensor)' starts at byte \(begin), inside tensor '\(previous)' which ends at byte \(previousEnd)"
        case .gap(let tensor, let begin, let expected):
            "tensor '\(tensor)' starts at byte \(begin), leaving a gap after byte \(expected)"
        case .unusedData(let used, let length):
            "tensors cover \(used) bytes but the data buffer has \(length)"
        }
        return "safetensors: " + message
    }
}
