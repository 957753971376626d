@main struct GridnodeMain { static func main() {} }
