/// A temperature reading in Celsius, as sensors publish it.
struct Reading: Codable, Sendable {
    let sensor: String
    let index: Int
    let celsius: Double

    /// The same reading in Fahrenheit, as the dashboard wants it.
    var inFahrenheit: FahrenheitReading {
        FahrenheitReading(sensor: self.sensor, index: self.index, fahrenheit: self.celsius * 9 / 5 + 32)
    }
}

/// A reading converted for the dashboard.
struct FahrenheitReading: Codable, Sendable {
    let sensor: String
    let index: Int
    let fahrenheit: Double
}
