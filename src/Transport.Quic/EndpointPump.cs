using System.Net;
using Transport.Core.Udp;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;

namespace Transport.Quic;

/// <summary>
/// Owns one <see cref="QuicEndpoint"/> and dispatches its events to the API objects. The endpoint calls
/// <see cref="Drain"/> under its lock right after each receive batch, timer and <see cref="Invoke{T}"/>, on the thread
/// that did the work: no extra thread, no polling, no timeout between a datagram's arrival and the waiter's wake-up
/// (the waiters' continuations run on the thread pool, <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>,
/// or, with inline completions, a stream's reader or writer on the receive thread after the batch).
/// </summary>
internal sealed class EndpointPump : IDisposable
{
    /// <summary>
    /// SO_RCVBUF of the API's sockets (Linux caps it at net.core.rmem_max unless the process may force it). The default
    /// (about 208 KiB) holds three GRO trains: a receive thread that lost the CPU for a moment under load dropped
    /// datagrams on loopback (0.15 % of a bulk transfer, each loss a congestion event). Kernel memory is used only
    /// while datagrams wait.
    /// </summary>
    internal const int SocketReceiveBufferSize = 4 * 1024 * 1024;

    private readonly Dictionary<QuicConnectionCore, QuicConnection> _connections = new();
    private readonly List<QuicConnection> _ticketWatch = new();
    private readonly Dictionary<QuicConnectionCore, List<ConnectionEvent>> _early = new();
    private int _disposed;

    /// <param name="options">The endpoint's options.</param>
    /// <param name="localEndPoint">The address to bind.</param>
    /// <param name="inlineCompletions">
    /// Stream reads and writes that a receive batch released resume on the receive thread, after the batch, outside the
    /// lock (see <see cref="QuicListenerOptions.InlineCompletions"/>), instead of on the thread pool.
    /// </param>
    /// <param name="receiveSpinTime">
    /// Busy-poll on the receive thread before it blocks (<see cref="QuicEndpoint.ReceiveSpinTime"/>,
    /// <see cref="QuicListenerOptions.ReceiveSpinTime"/>); zero: off.
    /// </param>
    public EndpointPump(QuicEndpointOptions options, IPEndPoint localEndPoint, bool inlineCompletions = false, TimeSpan receiveSpinTime = default)
    {
        Transport.Core.Udp.UdpReceiveLoop.ValidateSpinTime(receiveSpinTime, nameof(receiveSpinTime));
        // The TOS byte of every received datagram reaches the connections (RFC 9000 §13.4.1: ECN counts are reported
        // whenever they are readable); sends are marked per datagram as the connection asks (ConnectionOptions.EnableEcn).
        Endpoint = new QuicEndpoint(options, new UdpSocketOptions
        {
            LocalEndPoint = localEndPoint,
            DualMode = localEndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6,
            ReceiveBufferSize = SocketReceiveBufferSize,
            ReceiveTypeOfService = true,
        });
        Endpoint.ActivityCallback = Drain;
        if (receiveSpinTime > TimeSpan.Zero) Endpoint.ReceiveSpinTime = receiveSpinTime;
        if (inlineCompletions) Endpoint.ReceiveBatchHooks = (StreamSignal.BeginDeferring, StreamSignal.CompleteDeferred);
    }

    public QuicEndpoint Endpoint { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Called under the lock when a server connection completed its handshake (or, with
    /// <see cref="QuicEndpointOptions.AcceptBeforeHandshakeCompletes"/>, sent its first flight), before that event is dispatched.
    /// </summary>
    public Action<QuicConnectionCore>? HandshakeCompletedHandler { get; set; }

    /// <summary>Server: <see cref="HandshakeCompletedHandler"/> runs at <see cref="ConnectionEventKind.HalfRttReady"/> already (as the endpoint's option of that name).</summary>
    public bool AcceptBeforeHandshakeCompletes { get; init; }

    /// <summary>
    /// Runs <paramref name="action"/> under the endpoint's lock; events are dispatched before the lock is released. The
    /// action must not drive a connection (creating one is fine): use the form with a target for that.
    /// </summary>
    public T Invoke<T>(Func<QuicEndpointCore, T> action) => Endpoint.Invoke<Func<QuicEndpointCore, T>, T>(null, action, static (core, a) => a(core));

    /// <inheritdoc cref="Invoke{T}"/>
    public T Invoke<TState, T>(TState state, Func<QuicEndpointCore, TState, T> action) where TState : allows ref struct =>
        Endpoint.Invoke(null, state, action);

    /// <summary>
    /// Runs <paramref name="action"/>, which drives <paramref name="target"/>, under the endpoint's lock; only that
    /// connection is drained and asked to send afterwards (O(1), not a scan of the idle connections).
    /// </summary>
    public T Invoke<TState, T>(QuicConnectionCore target, TState state, Func<QuicEndpointCore, TState, T> action) where TState : allows ref struct =>
        Endpoint.Invoke(target, state, action);

    /// <summary>
    /// Registers the API object of <paramref name="core"/> (under the lock) and hands it the events the server connection
    /// raised before it had one (0-RTT streams and datagrams arrive before the handshake completes).
    /// </summary>
    public void Register(QuicConnectionCore core, QuicConnection connection)
    {
        _connections[core] = connection;
        if (!core.IsServer) _ticketWatch.Add(connection);
        if (_early.Remove(core, out var events))
        {
            foreach (var e in events) connection.OnEvent(e);
        }
    }

    public bool TryGetConnection(QuicConnectionCore core, out QuicConnection connection) =>
        _connections.TryGetValue(core, out connection!);

    /// <summary>Under the lock.</summary>
    public void Unregister(QuicConnectionCore core)
    {
        if (_connections.Remove(core, out var api)) _ticketWatch.Remove(api);
    }

    /// <summary>Number of connections with an API object that have not terminated yet.</summary>
    public int ConnectionCount => _connections.Count;

    private void Drain(QuicEndpointCore core)
    {
        // Every QuicEndpointCore call (and QuicEndpoint.Invoke) has already moved the connections' events to its queue.
        while (core.PollEvent(out var connection, out var e))
        {
            if (connection.IsServer && (e.Kind == ConnectionEventKind.HandshakeCompleted
                || e.Kind == ConnectionEventKind.HalfRttReady && AcceptBeforeHandshakeCompletes)) HandshakeCompletedHandler?.Invoke(connection);
            if (_connections.TryGetValue(connection, out var api))
            {
                api.OnEvent(e);
                // A waiting read took its bytes in OnEvent (QuicStream.OnReadable): what that changed (flow-control credit,
                // MAX_STREAM_DATA to send) must reach PollTransmit even if the connection left the ready queue meanwhile.
                if (e.Kind == ConnectionEventKind.StreamReadable) core.MarkActive(connection);
            }
            else if (connection.IsServer) KeepEarly(connection, e);
        }
        // Session tickets come without an event (TLS NewSessionTicket after the handshake): check the clients still waiting.
        for (int i = _ticketWatch.Count - 1; i >= 0; i--)
        {
            if (_ticketWatch[i].CheckSessionTicket()) _ticketWatch.RemoveAt(i);
        }
    }

    /// <summary>A server connection's event before its API object exists (at handshake completion); forgotten when it terminates unaccepted.</summary>
    private void KeepEarly(QuicConnectionCore connection, in ConnectionEvent e)
    {
        if (e.Kind == ConnectionEventKind.Terminated)
        {
            _early.Remove(connection);
            return;
        }
        if (e.Kind is ConnectionEventKind.ConnectionIdIssued or ConnectionEventKind.ConnectionIdRetired or ConnectionEventKind.HandshakeConfirmed) return;
        if (!_early.TryGetValue(connection, out var list)) _early[connection] = list = new List<ConnectionEvent>();
        list.Add(e);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Endpoint.Dispose();
    }
}
