import GridCore
import Testing

@Suite struct ProviderPoolTests {
    @Test func theProviderWithTheMostFreeCapacityGetsTheNextTask() {
        var pool = ProviderPool<String>()
        pool.serve("a", capacity: 1)
        pool.serve("b", capacity: 3)
        #expect(pool.capacity == 4)
        // b (3 free), b (2 free), then a and b tie at 1 free: a runs less (0 against 2).
        let order = (0..<4).map { _ in pool.take() }
        #expect(order == ["b", "b", "a", "b"])
        #expect(pool.take() == nil, "every place is taken")
        #expect(pool.running == 4 && pool.free == 0)
        pool.release("a")
        #expect(pool.take() == "a")
    }

    @Test func onATieTheOneThatBeganServingFirstWins() {
        var pool = ProviderPool<Int>()
        for id in [7, 3, 5] { pool.serve(id, capacity: 2) }
        #expect(pool.take() == 7)
        #expect(pool.take() == 3)
        #expect(pool.take() == 5)
        #expect(pool.take() == 7)
    }

    struct Case: Sendable {
        var name: String
        var act: @Sendable (inout ProviderPool<String>) -> Void
        var capacity: Int
        var running: Int
        var isServed: Bool
    }

    static let cases: [Case] = [
        Case(name: "serving again changes the capacity", act: { $0.serve("a", capacity: 5) }, capacity: 5 + 2, running: 1, isServed: true),
        Case(name: "a drained provider keeps its running task but no capacity", act: { $0.drain("a") }, capacity: 2, running: 1, isServed: true),
        Case(name: "a withdrawn provider leaves with its tasks", act: { $0.withdraw("a") }, capacity: 2, running: 0, isServed: true),
        Case(name: "withdrawing everyone leaves nothing served", act: { $0.withdraw("a"); $0.withdraw("b") }, capacity: 0, running: 0, isServed: false),
        Case(name: "a drained provider leaves once its last task ends", act: { $0.drain("a"); $0.release("a") }, capacity: 2, running: 0, isServed: true),
        Case(name: "releasing for a withdrawn provider is ignored", act: { $0.withdraw("a"); $0.release("a") }, capacity: 2, running: 0, isServed: true),
    ]

    @Test(arguments: cases) func changes(_ c: Case) {
        var pool = ProviderPool<String>()
        pool.serve("a", capacity: 1)
        pool.serve("b", capacity: 2)
        // b has more free places, then a and b tie on free places and a runs less.
        #expect(pool.take() == "b")
        #expect(pool.take() == "a")
        pool.release("b")
        #expect(pool.providers["a"]?.running == 1 && pool.running == 1, "setup: one task, on a")
        c.act(&pool)
        #expect(pool.capacity == c.capacity, "\(c.name): capacity")
        #expect(pool.running == c.running, "\(c.name): running")
        #expect(pool.isServed == c.isServed, "\(c.name): served")
    }

    @Test func aDrainingProviderGetsNoNewTask() {
        var pool = ProviderPool<String>()
        pool.serve("a", capacity: 4)
        pool.serve("b", capacity: 1)
        pool.drain("a")
        #expect(pool.providers["a"] == nil, "nothing running: it leaves at once")
        #expect(pool.take() == "b")
        #expect(pool.take() == nil)
    }
}
