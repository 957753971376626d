import GridCore

/// Work that waits for capacity: a replica whose machine says ``DelegationMachine/Directive/awaitCapacity``
/// is parked in the ``PlacementQueue``, and placed again — highest priority first, per skill — when
/// capacity may have freed: a place in a peer's window, a local slot, a skill announcement, or the
/// queue's recheck timer.
extension DelegationCoordinator {
    /// Nodes that serve the route's skill but have no room now, for reasons that pass with time
    /// (full, window full, busy, circuit open, not alive). A task with such providers waits.
    static func busyProviders(_ route: Route) -> Set<NodeID> {
        Set(route.excluded.lazy.filter(\.reason.isTransient).map(\.node))
    }

    /// The nodes a replicated task's other replicas are on, or were tried on: a replica never joins them.
    func siblingNodes(_ id: TaskID, replica: Int) -> Set<NodeID> {
        guard let machines = inflight[id]?.replicas, machines.count > 1 else { return [] }
        return nodes(of: machines, except: replica)
    }

    /// The nodes the runs in `machines` are on or were tried on, but for run `except`.
    func nodes(of machines: [DelegationMachine], except: Int? = nil) -> Set<NodeID> {
        var nodes: Set<NodeID> = []
        for (index, machine) in machines.enumerated() where index != except {
            nodes.formUnion(machine.attempts.map(\.node))
            switch machine.state {
            case .awaitingAck(let peer), .awaitingResult(let peer): nodes.insert(peer)
            case .runningLocally: nodes.insert(node.nodeID)
            default: break
            }
        }
        return nodes
    }

    func park(_ id: TaskID, replica: Int) {
        guard let task = inflight[id]?.task else { return }
        do {
            let directives = try placement.park(
                PlacementQueue.Entry(task: id, replica: replica), skill: task.skill, priority: TaskPriority(level: task.priority), now: .now)
            perform(directives)
            emit(id, .queued, message: "waiting for a node with room to run '\(task.skill)'")
        } catch {
            // Waiting already (a second park of one replica): it stays in line once.
            node.logger.debug("task \(id) replica \(replica): \(error.message)")
        }
    }

    func perform(_ directives: [PlacementQueue.Directive]) {
        for directive in directives {
            switch directive {
            case .drain:
                schedulePlacement()
            case .scheduleRecheck(let instant):
                node.tasks.spawn { [weak self] in
                    guard (try? await Task.sleep(until: instant, clock: .continuous)) != nil else { return }
                    await self?.recheckFired()
                }
            }
        }
    }

    func recheckFired() {
        perform(placement.recheckFired(now: .now))
    }

    /// Something may have made room (a peer announced its load, a skill came back): try the waiting work.
    func capacityMayHaveFreed() {
        schedulePlacement()
    }

    /// Asks for one placement pass soon; many events in a row make one pass.
    func schedulePlacement() {
        guard !placement.isEmpty, !placementScheduled else { return }
        placementScheduled = true
        node.tasks.spawn { [weak self] in await self?.placeWaiting() }
    }

    /// Places waiting entries while nodes have room: per skill, the entry ``PlacementQueue`` names
    /// next is routed; when a node can take it, it is taken from the queue and given the ranking.
    /// A skill whose next entry finds no room waits for the next event (its other entries would not
    /// find room either, except for a different minimum trust, which is rare).
    func placeWaiting() async {
        placementScheduled = false
        guard !draining else { return }  // waiting work stays journaled for the next start
        guard !placing else {
            placeAgain = true
            return
        }
        placing = true
        defer { placing = false }
        repeat {
            placeAgain = false
            for skill in placement.skills {
                while let entry = placement.next(of: skill, now: .now) {
                    guard let task = inflight[entry.task]?.task else {
                        placement.remove(entry)
                        continue
                    }
                    let extra = isExtraRun(entry.task, replica: entry.replica)
                    let route = await node.route(
                        skill, minimumTrust: task.minimumTrust, flow: flowState(skill: skill, extraRun: extra), deterministicOnly: extra)
                    let siblings = siblingNodes(entry.task, replica: entry.replica)
                    guard route.nodes.contains(where: { !siblings.contains($0) }) else {
                        // No node has room. When no node serves the skill any more either (and the
                        // task no longer waits for providers to come back), its machine ends it.
                        if Self.busyProviders(route).subtracting(siblings).isEmpty, inflight[entry.task]?.waitsForProviders(now: .now) == false {
                            placement.remove(entry)
                            routed(entry.task, replica: entry.replica, route)
                            continue
                        }
                        break
                    }
                    guard placement.next(of: skill, now: .now) == entry else { continue }  // it changed while routing
                    _ = placement.take(of: skill, now: .now)
                    routed(entry.task, replica: entry.replica, route)
                    if placement.contains(entry) { break }  // it could not use them after all
                }
            }
        } while placeAgain
    }
}
