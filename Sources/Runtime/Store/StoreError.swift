import Foundation
import ReportModel

/// Environmental failures of the result store (full disk, permissions, a file where a directory
/// should be). All wording lives in `message`; paths are spelled as the caller gave them.
public enum StoreError: UserError, Equatable {
    case cannotCreateDirectory(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotLock(path: String, reason: String)

    public var message: String {
        switch self {
        case let .cannotCreateDirectory(path, reason): "cannot create directory \(path): \(reason)"
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        case let .cannotLock(path, reason): "cannot lock \(path): \(reason)"
        }
    }

    /// The system's wording for an errno value, e.g. "No space left on device".
    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
