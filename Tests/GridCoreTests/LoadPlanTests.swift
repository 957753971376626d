import GridCore
import Testing

@Suite struct LoadPlanTests {
    @Test func rateModeBoundsTasksInFlightByDefault() throws {
        let plan = try LoadPlan(rate: 200, concurrency: nil, duration: .seconds(3))
        #expect(plan.mode == .rate(perSecond: 200))
        #expect(plan.maxInFlight == 1024)
        #expect(plan.inputBytes == 0)
        #expect(try LoadPlan(rate: 5, concurrency: nil, duration: .seconds(1), maxInFlight: 16).maxInFlight == 16)
    }

    @Test func concurrencyModeHasItsWorkersInFlight() throws {
        let plan = try LoadPlan(rate: nil, concurrency: 8, duration: .seconds(3), inputBytes: 1 << 20)
        #expect(plan.mode == .concurrency(8))
        #expect(plan.maxInFlight == 8)
        #expect(plan.inputBytes == 1 << 20)
    }

    @Test(arguments: [
        (Double?.none, Int?.none, 0, Int?.none,
         "give --rate R (tasks per second, open loop) or --concurrency C (C workers, closed loop)"),
        (10, 4, 0, nil, "give --rate or --concurrency, not both: --rate submits at a fixed pace, --concurrency keeps C tasks in flight"),
        (0, nil, 0, nil, "--rate must be more than 0 and at most 100000 tasks per second; got 0.0"),
        (100_001, nil, 0, nil, "--rate must be more than 0 and at most 100000 tasks per second; got 100001.0"),
        (10, nil, 0, 0, "--max-in-flight must be 1-4096; got 0"),
        (nil, 0, 0, nil, "--concurrency must be 1-4096; got 0"),
        (nil, 4097, 0, nil, "--concurrency must be 1-4096; got 4097"),
        (nil, 4, 0, 8, "--max-in-flight goes with --rate; with --concurrency C there are always C tasks in flight"),
        (nil, 4, 1_048_577, nil, "--input-bytes must be 0-1048576 (1 MiB, a node's maxTaskBytes); got 1048577"),
        (nil, 4, -1, nil, "--input-bytes must be 0-1048576 (1 MiB, a node's maxTaskBytes); got -1"),
    ])
    func refuses(rate: Double?, concurrency: Int?, inputBytes: Int, maxInFlight: Int?, message: String) {
        #expect(throws: GridError(.invalidArgument, message)) {
            try LoadPlan(rate: rate, concurrency: concurrency, duration: .seconds(1), inputBytes: inputBytes, maxInFlight: maxInFlight)
        }
    }
}
