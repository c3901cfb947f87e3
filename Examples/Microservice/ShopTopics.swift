/// The destinations the service reads and writes, under one prefix.
struct ShopTopics {
    /// Where orders arrive.
    let orders: String
    /// Where invoices go.
    let invoices: String

    init(prefix: String) {
        self.orders = "\(prefix).orders"
        self.invoices = "\(prefix).invoices"
    }
}
