/// Times the phases of a scenario, for the row's notes: where its wall time went.
struct PhaseClock {
    private var last = ContinuousClock.now
    private var laps: [(String, Duration)] = []

    mutating func lap(_ phase: String) {
        let now = ContinuousClock.now
        self.laps.append((phase, now - self.last))
        self.last = now
    }

    var summary: String {
        "phases: " + self.laps.map { "\($0.0) \(ChaosTable.seconds($0.1))" }.joined(separator: ", ")
    }
}
