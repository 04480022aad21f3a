import Foundation

/// Environmental failures of the result store (full disk, permissions, a file where a directory
/// should be). All wording lives in `description`; paths are spelled as the caller gave them.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case cannotCreateDirectory(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotLock(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, reason): "error: cannot create directory \(path): \(reason)"
        case let .cannotWrite(path, reason): "error: cannot write \(path): \(reason)"
        case let .cannotLock(path, reason): "error: cannot lock \(path): \(reason)"
        }
    }

    /// The system's wording for an errno value, e.g. "No space left on device".
    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
