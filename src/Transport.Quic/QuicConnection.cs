using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;
using Transport.Quic.Tls;

namespace Transport.Quic;

/// <summary>
/// A QUIC connection (like System.Net.Quic's QuicConnection): opens and accepts streams, sends and receives datagrams
/// (RFC 9221), reports statistics, closes with an application code. Every operation is thread-safe.
/// </summary>
public sealed class QuicConnection : IAsyncDisposable
{
    private readonly EndpointPump _pump;
    private readonly QuicConnectionCore _core;
    private readonly bool _ownsPump;
    // What an idle connection keeps is small (issue 7: at most 16 KiB per idle connection, core included): the stream
    // map, the signals and the one-shot results are created on first use, the two queues are a few fields each.
    private Dictionary<long, QuicStream>? _streams; // under the lock; created with the first stream
    private readonly AsyncQueue<QuicStream> _inbound = new();
    private readonly AsyncQueue<byte[]> _datagrams;
    private TaskCompletionSource? _connected; // client: ConnectAsync waits on it until the handshake (then let go)
    private LazyResult<bool> _earlyDataAccepted;
    private LazyResult<TlsSessionTicket?> _sessionTicket;
    private LazyResult<byte[]?> _newToken;
    private AsyncSignal? _streamsAvailable; // under the lock; created when an opener waits for MAX_STREAMS
    private QuicException? _closeError;
    private StrongBox<ConnectionStatistics>? _finalStatistics; // the last snapshot, taken at dispose (boxed: about 300 bytes inline otherwise)
    private bool _handshakeCompleted, _terminated, _coreReleased;
    private int _disposed;
    private IPEndPoint _remoteEndPoint;
    private IPEndPoint? _localEndPoint;
    private TaskCompletionSource<bool>? _migration; // under the lock: MigrateAsync waits
    private IPEndPoint? _migrationTarget;

    internal QuicConnection(EndpointPump pump, QuicConnectionCore core, bool ownsPump, int datagramReceiveQueueCapacity)
    {
        _pump = pump;
        _core = core;
        _ownsPump = ownsPump;
        _remoteEndPoint = core.RemoteEndPoint;
        _datagrams = new AsyncQueue<byte[]>(datagramReceiveQueueCapacity);
        if (!core.IsServer) _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The peer's address (it changes when the connection moves: a client to the server's preferred address, a server following its client).</summary>
    public IPEndPoint RemoteEndPoint => Volatile.Read(ref _remoteEndPoint);

    /// <summary>The local address the connection sends from (the socket's, or the one <see cref="MigrateAsync"/> or a preferred address moved it to).</summary>
    public IPEndPoint LocalEndPoint => Volatile.Read(ref _localEndPoint) ?? _pump.Endpoint.LocalEndPoint;

    /// <summary>
    /// Client: active connection migration (RFC 9000 §9.2): binds a socket on <paramref name="localEndPoint"/> (port 0:
    /// any free port) in this connection's endpoint, validates the path from there with PATH_CHALLENGE and a new
    /// connection ID of the server's (RFC 9000 §9.5), and moves the connection on the PATH_RESPONSE. True when it moved
    /// (<see cref="LocalEndPoint"/> is the new address), false when validation failed (the connection stays where it was).
    /// The new socket lives as long as the endpoint.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// A server connection; or migration is not possible now: handshake not confirmed, the server sent
    /// disable_active_migration, no spare connection ID of the server's, or another path validation is under way.
    /// </exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound.</exception>
    /// <exception cref="QuicException">The connection closed meanwhile.</exception>
    public async ValueTask<bool> MigrateAsync(IPEndPoint localEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ThrowIfDisposed();
        if (IsServer) throw new InvalidOperationException("Only a client initiates connection migration (RFC 9000 §9).");
        IPEndPoint bound = _pump.Endpoint.AddLocalEndPoint(new Transport.Core.Udp.UdpSocketOptions { LocalEndPoint = localEndPoint, DualMode = false, ReceiveTypeOfService = true });
        var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? refused = _pump.Invoke(_core, (this, bound, waiter), static (_, s) =>
        {
            var self = s.Item1;
            if (self._coreReleased || self._closeError is not null) return "The connection is closed.";
            if (self._migration is not null) return "A migration is already under way.";
            if (!self._core.TryMigrate(s.bound))
                return "Migration is not possible now: the handshake is not confirmed, the server sent disable_active_migration, it gave no spare connection ID, or another path is being validated.";
            self._migration = s.waiter;
            self._migrationTarget = s.bound;
            return null;
        });
        if (refused is not null) throw new InvalidOperationException(refused);
        bool moved = await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return moved;
    }

    /// <summary>True for a connection accepted by a <see cref="QuicListener"/>.</summary>
    public bool IsServer => _core.IsServer;

    /// <summary>The application protocol (ALPN) both sides agreed on.</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol => Read(static c => c.NegotiatedApplicationProtocol);

    /// <summary>Client: the server's certificate (null when the session was resumed from a ticket).</summary>
    public X509Certificate2? RemoteCertificate => Read(static c => c.PeerCertificate);

    /// <summary>
    /// The largest datagram payload <see cref="SendDatagram(ReadOnlySpan{byte})"/> accepts now (bounded by the peer's
    /// max_datagram_frame_size and by what fits in one packet); 0 when the peer does not accept datagrams (RFC 9221 §3).
    /// </summary>
    public int MaxDatagramSize => Read(static c => c.MaxDatagramPayloadSize);

    /// <summary>
    /// Datagrams received and dropped because the application did not call <see cref="ReceiveDatagramAsync"/> fast
    /// enough (the receive queue keeps the newest <see cref="QuicClientConnectionOptions.DatagramReceiveQueueCapacity"/>).
    /// </summary>
    public long DatagramsDroppedOnReceive => _datagrams.Dropped;

    /// <summary>
    /// Whether early data (0-RTT) was offered and what the server decided (<see cref="TlsEarlyDataStatus"/>). On a client
    /// connected with <see cref="QuicClientConnectionOptions.AllowEarlyData"/> it is
    /// <see cref="TlsEarlyDataStatus.Offered"/> until the handshake completes.
    /// </summary>
    public TlsEarlyDataStatus EarlyDataStatus => Read(static c => c.EarlyDataStatus);

    /// <summary>
    /// Whether the TLS handshake completed. False on a client still sending 0-RTT, and on a server connection handed out
    /// early (<see cref="QuicListenerOptions.AcceptBeforeHandshakeCompletes"/>) until the client's Finished arrived: stream
    /// data read until then may be 0-RTT data, which can be a replay (RFC 8446 §8).
    /// </summary>
    public bool IsHandshakeComplete => Read(static c => c.IsHandshakeComplete);

    /// <summary>
    /// Completes when the handshake did: true when the server accepted this client's early data (0-RTT), false when it
    /// refused it (stream data sent early is then sent again in 1-RTT by the connection itself; early datagrams are lost)
    /// or none was offered, or the connection closed first. On a server: whether it accepted the client's early data.
    /// </summary>
    public Task<bool> EarlyDataAccepted => _earlyDataAccepted.Task;

    /// <summary>
    /// Client: the latest session ticket the server issued (TLS NewSessionTicket, after the handshake), or null. Pass it
    /// as <see cref="TlsClientOptions.SessionTicket"/> of a later connection to resume, and with
    /// <see cref="TlsClientOptions.EnableEarlyData"/> to send 0-RTT.
    /// </summary>
    public TlsSessionTicket? SessionTicket => Read(static c => c.SessionTicket);

    /// <summary>Client: the last address validation token the server sent with NEW_TOKEN (RFC 9000 §8.1.3), for <see cref="ConnectionOptions.InitialToken"/> of a later connection.</summary>
    public byte[]? ReceivedToken => Read(static c => c.ReceivedToken);

    /// <summary>Client: waits for the server's first session ticket.</summary>
    /// <exception cref="QuicException">The connection closed before a ticket arrived.</exception>
    public async ValueTask<TlsSessionTicket> WaitForSessionTicketAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (IsServer) throw new InvalidOperationException("Only a client receives session tickets.");
        TlsSessionTicket? ticket = await _sessionTicket.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return ticket ?? throw CloseErrorOr("The connection closed before the server sent a session ticket.");
    }

    /// <summary>
    /// Client: waits for the server's address validation token (NEW_TOKEN, RFC 9000 §8.1.3; the server must issue them,
    /// see <see cref="QuicListenerOptions.IssueNewTokens"/>). Pass it as <see cref="ConnectionOptions.InitialToken"/> of a
    /// later connection to the same server to skip its Retry.
    /// </summary>
    /// <exception cref="QuicException">The connection closed before a token arrived.</exception>
    public async ValueTask<byte[]> WaitForNewTokenAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (IsServer) throw new InvalidOperationException("Only a client receives NEW_TOKEN tokens.");
        byte[]? token = await _newToken.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return token ?? throw CloseErrorOr("The connection closed before the server sent a NEW_TOKEN.");
    }

    /// <summary>Connects to a server on a UDP socket of its own and completes when the handshake did (or, with <see cref="QuicClientConnectionOptions.AllowEarlyData"/>, as soon as 0-RTT data may be sent).</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="QuicException">The handshake failed (<see cref="QuicError.HandshakeFailed"/> with the TLS alert, or another close).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the connection is aborted).</exception>
    public static async ValueTask<QuicConnection> ConnectAsync(QuicClientConnectionOptions options, CancellationToken cancellationToken = default)
    {
        Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        var local = options.LocalEndPoint ?? new IPEndPoint(
            options.RemoteEndPoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        var pump = new EndpointPump(new QuicEndpointOptions { LocalConnectionIdLength = options.ConnectionOptions.ConnectionIdLength }, local, options.InlineCompletions, options.ReceiveSpinTime);
        return await ConnectCoreAsync(pump, ownsPump: true, options, cancellationToken).ConfigureAwait(false);
    }

    internal static void Validate(QuicClientConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RemoteEndPoint is null) throw new ArgumentException("QuicClientConnectionOptions.RemoteEndPoint is required.", nameof(options));
        if (options.ConnectionOptions is null) throw new ArgumentException("QuicClientConnectionOptions.ConnectionOptions is required.", nameof(options));
        if (options.ConnectionOptions.ClientTls is null)
            throw new ArgumentException("QuicClientConnectionOptions.ConnectionOptions.ClientTls is required to connect.", nameof(options));
        if (options.RemoteEndPoint.Port == 0)
            throw new ArgumentException("QuicClientConnectionOptions.RemoteEndPoint has port 0.", nameof(options));
        if (options.DatagramReceiveQueueCapacity < 1)
            throw new ArgumentException($"QuicClientConnectionOptions.DatagramReceiveQueueCapacity must be at least 1 (was {options.DatagramReceiveQueueCapacity}).", nameof(options));
    }

    /// <summary>Connects on <paramref name="pump"/>; on failure or cancellation the connection is aborted (and an owned pump disposed).</summary>
    internal static async ValueTask<QuicConnection> ConnectCoreAsync(EndpointPump pump, bool ownsPump, QuicClientConnectionOptions options, CancellationToken cancellationToken)
    {
        QuicConnection? connection = null;
        try
        {
            connection = pump.Invoke((pump, ownsPump, options), static (core, s) =>
            {
                var c = core.Connect(s.options.ConnectionOptions, s.options.RemoteEndPoint, SystemClock.Instance.Now);
                var api = new QuicConnection(s.pump, c, s.ownsPump, s.options.DatagramReceiveQueueCapacity);
                s.pump.Register(c, api);
                // TCP Fast Open style: with a ticket that allows early data, the application may write at once.
                if (s.options.AllowEarlyData && c.CanSendEarlyData) api._connected!.TrySetResult();
                return api;
            });
            await connection._connected!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref connection._connected, null); // completed: nobody waits on it any more
            return connection;
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else if (ownsPump) pump.Dispose();
            throw;
        }
    }

    /// <summary>Under the lock: a server connection the listener created at handshake completion (or, accepted early, after its first flight).</summary>
    internal void MarkConnected(bool handshakeCompleted)
    {
        _handshakeCompleted |= handshakeCompleted;
        _connected?.TrySetResult();
    }

    /// <summary>Opens a stream, waiting for the peer's stream limit (MAX_STREAMS) when it is reached.</summary>
    /// <exception cref="QuicException">The connection is closed.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    public async ValueTask<QuicStream> OpenOutboundStreamAsync(bool bidirectional, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ThrowIfDisposed();
            cancellationToken.ThrowIfCancellationRequested();
            (QuicStream? stream, Task wait) = _pump.Invoke(_core, (this, bidirectional), static (_, s) =>
            {
                var self = s.Item1;
                self.ThrowIfClosed();
                if (self._core.TryOpenStream(s.bidirectional, out long id))
                {
                    var stream = new QuicStream(self, id, canRead: s.bidirectional, canWrite: true);
                    (self._streams ??= new Dictionary<long, QuicStream>())[id] = stream;
                    return (stream, Task.CompletedTask);
                }
                return ((QuicStream?)null, (self._streamsAvailable ??= new AsyncSignal()).Task);
            });
            if (stream is not null) return stream;
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the next stream the peer opened.</summary>
    /// <exception cref="QuicException">The connection is closed.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    public async ValueTask<QuicStream> AcceptInboundStreamAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return await _inbound.ReadAsync(cancellationToken).ConfigureAwait(false) ?? throw CloseErrorOr("The connection was disposed.");
    }

    /// <summary>
    /// Queues an unreliable datagram (RFC 9221): sent once when congestion control allows, never retransmitted; when the
    /// send queue is full the oldest queued datagram is dropped (<see cref="ConnectionStatistics.DatagramsDropped"/>).
    /// The bytes are copied.
    /// </summary>
    /// <exception cref="InvalidOperationException">The peer did not advertise max_datagram_frame_size (it accepts no datagrams).</exception>
    /// <exception cref="ArgumentException">The datagram is larger than <see cref="MaxDatagramSize"/>.</exception>
    /// <exception cref="QuicException">The connection is closed.</exception>
    public void SendDatagram(ReadOnlySpan<byte> datagram)
    {
        ThrowIfDisposed();
        _pump.Invoke(_core, new DatagramSend(this, datagram), static (_, s) =>
        {
            s.Connection.ThrowIfClosed();
            var core = s.Connection._core;
            int max = core.MaxDatagramPayloadSize;
            if (max == 0)
            {
                throw new InvalidOperationException(core.PeerTransportParameters is null
                    ? "Datagrams can be sent once the peer's transport parameters are known (after the handshake, or in 0-RTT with a ticket)."
                    : "The peer did not advertise max_datagram_frame_size (RFC 9221 §3): it does not accept datagrams.");
            }
            if (s.Data.Length > max)
                throw new ArgumentException($"The datagram is {s.Data.Length} bytes; at most {max} fit (MaxDatagramSize).", "datagram");
            core.SendDatagram(s.Data);
            return 0;
        });
    }

    /// <inheritdoc cref="SendDatagram(ReadOnlySpan{byte})"/>
    public void SendDatagram(ReadOnlyMemory<byte> datagram) => SendDatagram(datagram.Span);

    private readonly ref struct DatagramSend(QuicConnection connection, ReadOnlySpan<byte> data)
    {
        public readonly QuicConnection Connection = connection;
        public readonly ReadOnlySpan<byte> Data = data;
    }

    /// <summary>
    /// Waits for the next datagram from the peer. Received datagrams wait in a queue of
    /// <see cref="QuicClientConnectionOptions.DatagramReceiveQueueCapacity"/> (<see cref="QuicListenerOptions.DatagramReceiveQueueCapacity"/>);
    /// when it is full the oldest is dropped and counted in <see cref="DatagramsDroppedOnReceive"/>.
    /// Datagrams already queued can still be read after the connection closed.
    /// </summary>
    /// <exception cref="QuicException">The connection is closed and no datagram is left.</exception>
    public async ValueTask<byte[]> ReceiveDatagramAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return await _datagrams.ReadAsync(cancellationToken).ConfigureAwait(false) ?? throw CloseErrorOr("The connection was disposed.");
    }

    /// <summary>
    /// A snapshot of the connection's estimates and counters, like <c>ss -ti</c> for TCP: RTTs, congestion window,
    /// bytes in flight, pacing rate, controller and its state, packets sent / received / lost / retransmitted, bytes,
    /// congestion events, open streams. After the connection terminated: the last snapshot.
    /// </summary>
    public ConnectionStatistics GetStatistics()
    {
        try
        {
            return _pump.Invoke(_core, this, static (_, self) => self._coreReleased ? self.FinalStatistics : self._core.GetStatistics());
        }
        catch (ObjectDisposedException)
        {
            return FinalStatistics;
        }
    }

    /// <summary>
    /// Closes the connection with an application <paramref name="errorCode"/> (CONNECTION_CLOSE 0x1d, RFC 9000 §10.2); the
    /// peer's operations fail with a <see cref="QuicException"/> carrying it. Does nothing when already closed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="errorCode"/> is over 2^62-1.</exception>
    public ValueTask CloseAsync(ulong errorCode, CancellationToken cancellationToken = default)
    {
        if (errorCode > Transport.Core.Wire.VarInt.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(errorCode), errorCode, "An error code is a QUIC varint: at most 2^62-1.");
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _disposed) != 0 && _coreReleased) return ValueTask.CompletedTask;
        try
        {
            _pump.Invoke(_core, (this, errorCode), static (_, s) =>
            {
                if (!s.Item1._coreReleased) s.Item1._core.Close(s.errorCode);
                return 0;
            });
        }
        catch (ObjectDisposedException)
        {
            // The endpoint is gone: nothing left to close.
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Closes with code 0 when still open and releases the connection. A client with a socket of its own waits briefly
    /// for the close to go out (its closing period), then releases the socket.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await CloseAsync(0).ConfigureAwait(false);
        try
        {
            _pump.Invoke(_core, this, static (_, self) =>
            {
                if (!self._coreReleased) Volatile.Write(ref self._finalStatistics, new StrongBox<ConnectionStatistics>(self._core.GetStatistics()));
                if (self._terminated) self.ReleaseCore();
                return 0;
            });
        }
        catch (ObjectDisposedException)
        {
        }
        _inbound.Complete();
        _datagrams.Complete();
        if (_ownsPump)
        {
            var timeout = _handshakeCompleted ? TimeSpan.FromSeconds(2) : TimeSpan.FromMilliseconds(200);
            await Task.Run(() =>
            {
                try { _pump.Endpoint.Shutdown(timeout); } catch (ObjectDisposedException) { }
                _pump.Dispose();
            }).ConfigureAwait(false);
        }
    }

    internal EndpointPump Pump => _pump;

    private ConnectionStatistics FinalStatistics => Volatile.Read(ref _finalStatistics)?.Value ?? default;

    internal QuicConnectionCore Core => _core;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Under the lock: the application disposed the stream; its later events need no routing.</summary>
    internal void ForgetStream(long id) => _streams?.Remove(id);

    /// <summary>Under the lock: the core was disposed (terminated and released).</summary>
    internal bool IsCoreGone => _coreReleased;

    internal void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(QuicConnection));
    }

    private T Read<T>(Func<QuicConnectionCore, T> read)
    {
        ThrowIfDisposed();
        return _pump.Invoke(_core, (this, read), static (_, s) =>
        {
            if (s.Item1._coreReleased) throw new ObjectDisposedException(nameof(QuicConnection));
            return s.read(s.Item1._core);
        });
    }

    /// <summary>The close error, or an <see cref="QuicError.OperationAborted"/> exception with <paramref name="message"/>.</summary>
    internal QuicException CloseErrorOr(string message) =>
        _closeError ?? new QuicException(QuicError.OperationAborted, null, null, ConnectionCloseSource.Local, message);

    /// <summary>Throws the close error (under the lock).</summary>
    internal void ThrowIfClosed()
    {
        if (_closeError is not null) throw _closeError;
        if (_coreReleased || _core.IsClosed) throw CloseErrorOr("The connection is closed.");
    }

    /// <summary>Under the lock, from the pump: true when no ticket needs to be waited for any more.</summary>
    internal bool CheckSessionTicket()
    {
        if (_coreReleased || _closeError is not null)
        {
            _sessionTicket.TrySet(null);
            return true;
        }
        if (_core.SessionTicket is { } ticket)
        {
            _sessionTicket.TrySet(ticket);
            return true;
        }
        return false;
    }

    /// <summary>Under the lock: the core is dead and the application let go of it.</summary>
    private void ReleaseCore()
    {
        if (_coreReleased) return;
        Volatile.Write(ref _finalStatistics, new StrongBox<ConnectionStatistics>(_core.GetStatistics()));
        _coreReleased = true;
        _core.Dispose();
    }

    /// <summary>One event of this connection (under the lock, from the pump).</summary>
    internal void OnEvent(in ConnectionEvent e)
    {
        switch (e.Kind)
        {
            case ConnectionEventKind.HandshakeCompleted:
                _handshakeCompleted = true;
                _earlyDataAccepted.TrySet(_core.EarlyDataStatus == TlsEarlyDataStatus.Accepted);
                _connected?.TrySetResult();
                break;
            case ConnectionEventKind.StreamOpened:
                var streams = _streams ??= new Dictionary<long, QuicStream>();
                if (!streams.ContainsKey(e.StreamId))
                {
                    bool bidi = !StreamIds.IsUnidirectional(e.StreamId);
                    var s = new QuicStream(this, e.StreamId, canRead: true, canWrite: bidi);
                    streams[e.StreamId] = s;
                    _inbound.TryWrite(s);
                }
                break;
            case ConnectionEventKind.StreamReadable:
                if (_streams is not null && _streams.TryGetValue(e.StreamId, out var r)) r.OnReadable();
                break;
            case ConnectionEventKind.StreamWritable:
                if (_streams is not null && _streams.TryGetValue(e.StreamId, out var wr)) wr.OnWritable();
                break;
            case ConnectionEventKind.StreamSendCompleted:
                if (_streams is not null && _streams.TryGetValue(e.StreamId, out var w)) w.WriteSignal.Set();
                break;
            case ConnectionEventKind.StreamReset:
                if (_streams is not null && _streams.TryGetValue(e.StreamId, out var rs)) rs.OnPeerReset(e.ErrorCode);
                break;
            case ConnectionEventKind.StreamStopSending:
                if (_streams is not null && _streams.TryGetValue(e.StreamId, out var ss)) ss.OnPeerStopSending(e.ErrorCode);
                break;
            case ConnectionEventKind.StreamsAvailable:
                _streamsAvailable?.Set();
                break;
            case ConnectionEventKind.PathMigrated:
                Volatile.Write(ref _remoteEndPoint, _core.RemoteEndPoint);
                Volatile.Write(ref _localEndPoint, _core.LocalEndPoint);
                if (_migration is { } moved && _migrationTarget is { } target && _core.LocalEndPoint is { } now
                    && Connection.PathState.SameEndPoint(now, target))
                {
                    _migration = null;
                    moved.TrySetResult(true);
                }
                break;
            case ConnectionEventKind.PathValidationFailed:
                if (_migration is { } failed && !(_core.LocalEndPoint is { } at && _migrationTarget is { } t && Connection.PathState.SameEndPoint(at, t)))
                {
                    _migration = null;
                    failed.TrySetResult(false);
                }
                break;
            case ConnectionEventKind.NewTokenReceived:
                _newToken.TrySet(e.Data);
                break;
            case ConnectionEventKind.DatagramReceived:
                if (e.Data is { } data) _datagrams.TryWrite(data);
                break;
            case ConnectionEventKind.Closed:
                _closeError ??= QuicException.FromClose(e, _handshakeCompleted);
                _connected?.TrySetException(_closeError);
                _earlyDataAccepted.TrySet(false);
                _sessionTicket.TrySet(null);
                _newToken.TrySet(null);
                _migration?.TrySetException(_closeError);
                _migration = null;
                _inbound.Complete();
                _datagrams.Complete();
                _streamsAvailable?.Set();
                if (_streams is not null)
                {
                    foreach (var s in _streams.Values) { s.ReadSignal.Set(); s.WriteSignal.Set(); }
                }
                break;
            case ConnectionEventKind.Terminated:
                _terminated = true;
                _pump.Unregister(_core);
                if (_closeError is null)
                {
                    _closeError = new QuicException(QuicError.OperationAborted, null, null, ConnectionCloseSource.Local, "The connection terminated.");
                    _connected?.TrySetException(_closeError);
                }
                if (Volatile.Read(ref _disposed) != 0) ReleaseCore();
                break;
        }
    }
}
