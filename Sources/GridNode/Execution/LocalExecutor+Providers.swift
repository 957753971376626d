import GridCore

extension LocalExecutor {
    /// `provider` serves `skill`, running up to `capacity` tasks of it at once, as deterministic
    /// when it says so; serving it again changes the capacity and the declaration. Tasks waiting
    /// for the skill start at once on the new places.
    func serve(_ provider: any TaskProvider, skill: SkillID, capacity: Int, deterministic: Bool = false) throws(GridError) {
        guard skills[skill] == nil else {
            throw GridError(.skillTaken, "skill '\(skill)' is served by this node itself (a built-in, command or embedded skill); pick another name")
        }
        let key = ObjectIdentifier(provider)
        let (grants, changed) = state.withLockedValue { state -> ([SlotGrant], Bool) in
            let domain = Domain.served(skill)
            var places = state.places[domain] ?? Places(queue: TaskQueue(settings: queueSettings), pool: ProviderPool())
            let wasServed = places.pool?.isServed == true
            let wasDeterministic = places.isDeterministic
            places.pool?.serve(key, capacity: capacity)
            places.providers[key] = provider
            if deterministic { places.deterministic.insert(key) } else { places.deterministic.remove(key) }
            let grants = Self.startWaiting(&places, nodeCapacity: self.capacity)
            state.places[domain] = places
            return (grants, !wasServed || wasDeterministic != places.isDeterministic)
        }
        for grant in grants { grant.resolve(.granted) }
        if changed { skillChangesContinuation.yield() }
    }

    /// `provider` stops serving `skill`. Draining, it finishes the tasks it runs; else they are handed
    /// back (the provider answers them with ``ProviderAnswer/handedBack(_:)``). When no provider is
    /// left, the tasks waiting for the skill fail as `no_provider`, so their requesters try
    /// another node.
    func withdraw(_ provider: any TaskProvider, skill: SkillID, drain: Bool) {
        let key = ObjectIdentifier(provider)
        let domain = Domain.served(skill)
        let (failed, changed) = state.withLockedValue { state -> ([SlotGrant], Bool) in
            guard var places = state.places[domain] else { return ([], false) }
            let wasServed = places.pool?.isServed == true
            let wasDeterministic = places.isDeterministic
            if drain { places.pool?.drain(key) } else { places.pool?.withdraw(key) }
            if places.pool?.providers[key] == nil {
                places.providers[key] = nil
                places.deterministic.remove(key)
            }
            var failed: [SlotGrant] = []
            if places.pool?.isServed != true {
                while let next = places.queue.dequeue(now: .now) { failed.append(next.element) }
            }
            if places.pool?.isEmpty == true, places.running == 0, places.queue.isEmpty {
                state.places[domain] = nil
            } else {
                state.places[domain] = places
            }
            let stillServed = places.pool?.isServed == true
            return (failed, (wasServed && !stillServed) || (stillServed && wasDeterministic != places.isDeterministic))
        }
        for grant in failed {
            grant.resolve(.noProvider("the last application serving '\(skill)' on this node stopped before the task could start"))
        }
        if changed { skillChangesContinuation.yield() }
    }

    /// Passes free places to waiting tasks; the caller resolves the grants outside the lock.
    private static func startWaiting(_ places: inout Places, nodeCapacity: Int) -> [SlotGrant] {
        var grants: [SlotGrant] = []
        while places.running < places.capacity(node: nodeCapacity), let next = places.queue.dequeue(now: .now) {
            places.running += 1
            grants.append(next.element)
        }
        return grants
    }
}

extension GridError.Code {
    /// A skill name an application asked to serve is already this node's own.
    public static let skillTaken = Self("skill.taken")
}
