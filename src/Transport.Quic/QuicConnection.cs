using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;

namespace Transport.Quic;

/// <summary>A QUIC connection (like System.Net.Quic's QuicConnection): opens and accepts streams, closes with an application code.</summary>
public sealed class QuicConnection : IAsyncDisposable
{
    private readonly EndpointPump _pump;
    private readonly QuicConnectionCore _core;
    private readonly bool _ownsPump;
    private readonly Dictionary<long, QuicStream> _streams = new();
    private readonly Channel<QuicStream> _inbound = Channel.CreateUnbounded<QuicStream>();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AsyncSignal _streamsAvailable = new();
    private QuicException? _closeError;
    private int _disposed;

    internal QuicConnection(EndpointPump pump, QuicConnectionCore core, bool ownsPump)
    {
        _pump = pump;
        _core = core;
        _ownsPump = ownsPump;
        RemoteEndPoint = core.RemoteEndPoint;
    }

    /// <summary>The peer's address.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The local address of the socket.</summary>
    public IPEndPoint LocalEndPoint => _pump.Endpoint.LocalEndPoint;

    /// <summary>Connects to a server on a socket of its own and completes when the handshake did.</summary>
    /// <exception cref="QuicException">The handshake failed (the connection was closed).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the connection is aborted).</exception>
    public static async ValueTask<QuicConnection> ConnectAsync(QuicClientConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.RemoteEndPoint);
        ArgumentNullException.ThrowIfNull(options.ConnectionOptions);
        if (options.ConnectionOptions.ClientTls is null)
            throw new ArgumentException("ConnectionOptions.ClientTls is required to connect.", nameof(options));
        var local = options.LocalEndPoint ?? new IPEndPoint(
            options.RemoteEndPoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        var pump = new EndpointPump(new QuicEndpointOptions(), local);
        QuicConnection? connection = null;
        try
        {
            connection = pump.Invoke(core =>
            {
                var c = core.Connect(options.ConnectionOptions, options.RemoteEndPoint, global::Transport.Core.Time.SystemClock.Instance.Now);
                var api = new QuicConnection(pump, c, ownsPump: true);
                pump.Register(c, api);
                if (c.IsHandshakeComplete) api.MarkConnected();
                return api;
            });
            await connection._connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else pump.Dispose();
            throw;
        }
    }

    internal void MarkConnected() => _connected.TrySetResult();

    /// <summary>Opens a stream, waiting for the peer's stream limit (MAX_STREAMS) when it is reached.</summary>
    /// <exception cref="QuicException">The connection is closed.</exception>
    public async ValueTask<QuicStream> OpenOutboundStreamAsync(bool bidirectional, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            (QuicStream? stream, Task wait) = _pump.Invoke(_ =>
            {
                ThrowIfClosed();
                if (_core.TryOpenStream(bidirectional, out long id))
                {
                    var s = new QuicStream(this, id, canRead: bidirectional, canWrite: true);
                    _streams[id] = s;
                    return (s, Task.CompletedTask);
                }
                return ((QuicStream?)null, _streamsAvailable.Task);
            });
            if (stream is not null) return stream;
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the next stream the peer opened.</summary>
    /// <exception cref="QuicException">The connection is closed.</exception>
    public async ValueTask<QuicStream> AcceptInboundStreamAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _inbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw _closeError ?? new QuicException(QuicError.OperationAborted, null, null, ConnectionCloseSource.Local, "The connection was disposed.");
        }
    }

    /// <summary>
    /// Closes the connection with an application <paramref name="errorCode"/> (CONNECTION_CLOSE 0x1d, RFC 9000 §10.2); the
    /// peer's operations fail with a <see cref="QuicException"/> carrying it. Does nothing when already closed.
    /// </summary>
    public ValueTask CloseAsync(ulong errorCode, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _pump.Invoke(_ => { _core.Close(errorCode); return 0; });
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes with code 0 when still open, lets the close go out, and releases the connection (and its socket, for a client).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { await CloseAsync(0).ConfigureAwait(false); } catch (ObjectDisposedException) { }
        if (_ownsPump)
        {
            await Task.Run(() =>
            {
                try { _pump.Endpoint.Shutdown(TimeSpan.FromSeconds(2)); } catch (ObjectDisposedException) { }
                _pump.Dispose();
            }).ConfigureAwait(false);
        }
    }

    internal EndpointPump Pump => _pump;

    internal QuicConnectionCore Core => _core;

    /// <summary>Throws the close error (under the lock).</summary>
    internal void ThrowIfClosed()
    {
        if (_closeError is not null) throw _closeError;
        if (_core.IsClosed) throw new QuicException(QuicError.OperationAborted, null, null, ConnectionCloseSource.Local, "The connection is closed.");
    }

    /// <summary>One event of this connection (under the lock, from the pump).</summary>
    internal void OnEvent(in ConnectionEvent e)
    {
        switch (e.Kind)
        {
            case ConnectionEventKind.HandshakeCompleted:
                _connected.TrySetResult();
                break;
            case ConnectionEventKind.StreamOpened:
                if (!_streams.ContainsKey(e.StreamId))
                {
                    bool bidi = !StreamIds.IsUnidirectional(e.StreamId);
                    var s = new QuicStream(this, e.StreamId, canRead: true, canWrite: bidi);
                    _streams[e.StreamId] = s;
                    _inbound.Writer.TryWrite(s);
                }
                break;
            case ConnectionEventKind.StreamReadable:
                if (_streams.TryGetValue(e.StreamId, out var r)) r.ReadSignal.Set();
                break;
            case ConnectionEventKind.StreamWritable:
            case ConnectionEventKind.StreamSendCompleted:
                if (_streams.TryGetValue(e.StreamId, out var w)) w.WriteSignal.Set();
                break;
            case ConnectionEventKind.StreamReset:
                if (_streams.TryGetValue(e.StreamId, out var rs)) rs.OnPeerReset(e.ErrorCode);
                break;
            case ConnectionEventKind.StreamStopSending:
                if (_streams.TryGetValue(e.StreamId, out var ss)) ss.OnPeerStopSending(e.ErrorCode);
                break;
            case ConnectionEventKind.StreamsAvailable:
                _streamsAvailable.Set();
                break;
            case ConnectionEventKind.Closed:
                _closeError ??= QuicException.FromClose(e);
                _connected.TrySetException(_closeError);
                _inbound.Writer.TryComplete();
                _streamsAvailable.Set();
                foreach (var s in _streams.Values) { s.ReadSignal.Set(); s.WriteSignal.Set(); }
                break;
            case ConnectionEventKind.Terminated:
                _pump.Unregister(_core);
                break;
        }
    }
}
