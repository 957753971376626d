import Foundation
import GridCore
import GridLocalAPI
import NIOCore

extension GridConnection {
    /// Reads the node's lines until it closes the connection: answers go to their callers,
    /// notifications to their handlers, `task.run` requests to the served skill's handler.
    func read(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async {
        await withDiscardingTaskGroup { handlers in
            do {
                for try await buffer in inbound {
                    let line = Data(buffer.readableBytesView)
                    guard let head = try? JSONDecoder().decode(RPCRequestHead.self, from: line) else { continue }
                    if head.isResponse || head.method == nil {
                        answered(head.id, line)
                    } else if let method = head.method.flatMap(LocalAPI.NodeMessage.init(rawValue:)) {
                        notified(method, id: head.id, line, handlers: &handlers)
                    }
                }
            } catch {
                // The connection broke: everyone waiting is told below.
            }
            closed()
        }
    }

    private func answered(_ id: RPCID?, _ line: Data) {
        guard case .number(let number)? = id else { return }
        let waiter = state.withLockedValue { state -> CheckedContinuation<Data, any Error>? in
            guard state.expected.remove(number) != nil else { return nil }
            if let waiter = state.waiting.removeValue(forKey: number) { return waiter }
            state.early[number] = line
            return nil
        }
        waiter?.resume(returning: line)
    }

    private func notified(_ method: LocalAPI.NodeMessage, id: RPCID?, _ line: Data, handlers: inout DiscardingTaskGroup) {
        let decoder = JSONDecoder()
        switch method {
        case .taskRun:
            guard case .string(let requestID)? = id,
                let params = try? decoder.decode(RPCRequest<TaskRunParams>.self, from: line).params
            else { return }
            start(params, requestID: requestID, in: &handlers)
        case .taskCancel:
            guard let notice = try? decoder.decode(RPCRequest<TaskCancelNotice>.self, from: line).params else { return }
            let tasks = state.withLockedValue { state in
                state.running.filter { $0.key.hasSuffix("/" + notice.requester + "/" + notice.taskId) }.map(\.value)
            }
            for task in tasks { task.cancel() }
        case .taskEvent:
            guard let notice = try? decoder.decode(RPCRequest<TaskEventNotice>.self, from: line).params else { return }
            let handler = state.withLockedValue { $0.eventHandlers[notice.taskId] }
            handler?(notice.event)
        case .taskSubmitted:
            guard let notice = try? decoder.decode(RPCRequest<TaskSubmittedNotice>.self, from: line).params,
                case .number(let requestID) = notice.requestId
            else { return }
            let handlers = state.withLockedValue { state -> SubmitHandlers? in
                guard let handlers = state.submitHandlers[requestID] else { return nil }
                if let onEvent = handlers.onEvent { state.eventHandlers[notice.taskId] = onEvent }
                return handlers
            }
            handlers?.onSubmitted?(notice.taskId)
        case .nodeError:
            guard let notice = try? decoder.decode(RPCRequest<NodeErrorNotice>.self, from: line).params else { return }
            let handler = state.withLockedValue { $0.onNodeError }
            handler?(notice)
        }
    }

    /// The connection is gone: callers still waiting fail, handlers still running stop.
    private func closed() {
        let (waiters, running, watchers) = state.withLockedValue { state in
            state.closed = true
            defer {
                state.waiting = [:]
                state.running = [:]
                state.closeWatchers = []
            }
            return (Array(state.waiting.values), Array(state.running.values), state.closeWatchers)
        }
        for watcher in watchers { watcher.finish() }
        for waiter in waiters { waiter.resume(throwing: GridError(.nodeUnreachable, "the node closed the connection before answering")) }
        for task in running { task.cancel() }
    }
}
