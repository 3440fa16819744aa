"""What the shop knows and decides, apart from pages and plumbing: the programme and its
listing, the buyer's cart, placing an order with its ledger, and the holds per visitor."""
