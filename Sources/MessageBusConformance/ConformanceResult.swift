/// The result of one conformance case on one backend.
public enum ConformanceResult: Sendable, Hashable, CustomStringConvertible {
    /// Every assertion held.
    case passed
    /// An assertion failed or the case threw; the text says which and why.
    case failed(String)
    /// The backend cannot run the case, for the reason given (a missing capability). Never counted as a pass.
    case unsupported(String)

    /// `passed`, `failed: ...` or `unsupported: ...`.
    public var description: String {
        switch self {
        case .passed: "passed"
        case .failed(let reason): "failed: \(reason)"
        case .unsupported(let reason): "unsupported: \(reason)"
        }
    }
}

/// Thrown by a case whose assertion failed.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What did not hold.
    public var description: String
}

/// Thrown by a case the backend cannot run.
public struct ConformanceUnsupported: Error, CustomStringConvertible {
    /// Why the backend cannot run it.
    public var description: String
}

/// Fails the running case with `message` unless `condition` holds.
func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw ConformanceFailure(description: message()) }
}
