import NIOCore
import NIOPosix
import Synchronization

/// The agent's end of one VM's guest channel: a client of the Unix socket QEMU listens on for the
/// VM's port `org.cinergy.power.0`, served by the guest channel's own NIO event loop (never a
/// thread of the cooperative pool, never the HTTP server's loops).
///
/// Bounded both ways, whatever the guest (or its QEMU) does:
/// - Writes never block and never queue without limit. A line is handed to the socket only while
///   NIO calls it writable (less than ``highWaterMarkBytes`` queued in the agent; the kernel's send
///   buffer is asked to be ``sendBufferBytes``); otherwise the line is dropped and counted. A guest
///   that does not read costs the agent at most these two buffers.
/// - What the guest writes is never parsed: the agent reads at most ``readChunkBytes`` per line it
///   sends (automatic reads are off), and discards them. The rest waits in the kernel, so a guest
///   that writes without end only blocks its own port. The read also shows when QEMU closes the
///   socket.
final class GuestChannelSocket: Sendable {
    /// Where the connection stands.
    enum State: Sendable, Equatable {
        case connecting
        case connected
        /// Closed: the connect failed, the other end closed, an I/O error, or ``close()``; why.
        case closed(String)
    }

    /// Bytes queued in the agent above which lines are dropped (NIO's high water mark).
    static let highWaterMarkBytes = 16 * 1024
    /// Bytes queued below which the socket is writable again (NIO's low water mark).
    static let lowWaterMarkBytes = 4 * 1024
    /// The kernel send buffer asked for (`SO_SNDBUF`; Linux doubles it for its bookkeeping).
    static let sendBufferBytes = 16 * 1024
    /// The most the agent reads (and discards) from the guest per line sent.
    static let readChunkBytes = 1024

    /// The socket's path, from the domain's live XML.
    let path: String
    private let counters: GuestChannelCounters
    private let connection = Mutex<(state: State, channel: (any Channel)?)>((.connecting, nil))

    private init(path: String, counters: GuestChannelCounters) {
        self.path = path
        self.counters = counters
    }

    /// Starts connecting to `path` on `group` and returns at once; ``state`` tells how it went.
    static func connect(path: String, group: any EventLoopGroup, counters: GuestChannelCounters) -> GuestChannelSocket {
        let socket = GuestChannelSocket(path: path, counters: counters)
        ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.autoRead, value: false)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: readChunkBytes))
            .channelOption(.writeBufferWaterMark, value: .init(low: lowWaterMarkBytes, high: highWaterMarkBytes))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(sendBufferBytes))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DiscardingHandler())
                }
            }
            .connect(unixDomainSocketPath: path)
            .whenComplete { result in socket.finishConnecting(result) }
        return socket
    }

    /// Where the connection stands now.
    var state: State {
        connection.withLock { $0.state }
    }

    /// Hands `line` to the socket, or drops it and counts it when the buffer is full; then reads
    /// (and discards) at most ``readChunkBytes`` of what the guest wrote. Does nothing unless
    /// connected. Never blocks: the work is queued on the channel's event loop.
    func send(_ line: String) {
        guard let channel = connection.withLock({ $0.channel }) else { return }
        let counters = counters
        channel.eventLoop.execute {
            guard channel.isActive else { return }
            if channel.isWritable {
                channel.writeAndFlush(channel.allocator.buffer(string: line), promise: nil)
                counters.linesWritten.add(1, ordering: .relaxed)
            } else {
                counters.linesDropped.add(1, ordering: .relaxed)
            }
            channel.read()
        }
    }

    /// Closes the connection (or gives up connecting). Idempotent.
    func close() {
        let channel = connection.withLock { connection -> (any Channel)? in
            defer { connection = (.closed("released by the agent"), nil) }
            return connection.channel
        }
        counters.isConnected.store(false, ordering: .relaxed)
        channel?.close(promise: nil)
    }

    private func finishConnecting(_ result: Result<any Channel, any Error>) {
        switch result {
        case .success(let channel):
            let kept = connection.withLock { connection -> Bool in
                guard connection.state == .connecting else { return false }
                connection = (.connected, channel)
                return true
            }
            guard kept else {
                // Closed while connecting.
                channel.close(promise: nil)
                return
            }
            counters.isConnected.store(true, ordering: .relaxed)
            channel.closeFuture.whenComplete { [self] _ in
                let wasConnected = connection.withLock { connection -> Bool in
                    guard connection.state == .connected else { return false }
                    connection = (.closed("closed by QEMU (the domain stopped, or its socket went away)"), nil)
                    return true
                }
                if wasConnected { counters.isConnected.store(false, ordering: .relaxed) }
            }
            // Watches for the other end closing, and drains what the guest wrote so far.
            channel.read()
        case .failure(let error):
            connection.withLock { connection in
                if connection.state == .connecting { connection = (.closed("\(error)"), nil) }
            }
        }
    }
}

/// The guest channel's only handler: drops whatever the guest wrote, unread, and closes the
/// connection on an I/O error.
private final class DiscardingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Never parsed: the bytes are released with `data`.
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
