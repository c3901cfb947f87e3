/// What one client's run of a throughput case measured.
struct CaseResult: Sendable {
    var messages: Int
    var elapsed: Duration
    var cpu: Duration
    var voluntarySwitches: Int
    var peakRSSBytes: Int?

    var rate: Double {
        self.elapsed.seconds > 0 ? Double(self.messages) / self.elapsed.seconds : 0
    }

    var cpuMicrosecondsPerMessage: Double {
        self.cpu.seconds * 1e6 / Double(max(1, self.messages))
    }

    var voluntarySwitchesPerMessage: Double {
        Double(self.voluntarySwitches) / Double(max(1, self.messages))
    }
}

/// How one client's run of a case ended.
enum CaseOutcome: Sendable {
    case measured(CaseResult)
    case failed(String)
    case skipped(String)

    /// The outcome of ``BenchClient/rawCReadingID`` in a case other than Kafka's consume cases, which do not run it.
    static let notReadingIDs = CaseOutcome.skipped("the raw C + ce_id client runs in the Kafka consume cases only")

    var result: CaseResult? {
        if case .measured(let result) = self { result } else { nil }
    }

    /// What two rounds of one client report: the first failure if either failed (a good round must not hide an
    /// error), else the faster measurement.
    func best(_ other: CaseOutcome) -> CaseOutcome {
        switch (self, other) {
        case (.failed, _): self
        case (_, .failed): other
        case (.measured(let mine), .measured(let theirs)): mine.rate >= theirs.rate ? self : other
        case (.measured, _): self
        default: other
        }
    }

    /// Runs an in-process client: resets the peak resident set first and reads it after, and turns an error into
    /// a failed row instead of ending the run.
    static func inProcess(_ body: () async throws -> CaseResult) async -> CaseOutcome {
        ProcessMemory.resetPeak()
        do {
            var result = try await body()
            result.peakRSSBytes = ProcessMemory.peakBytes()
            return .measured(result)
        } catch {
            return .failed("\(error)")
        }
    }
}

/// A failure of the harness itself or of a baseline, with its explanation.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
