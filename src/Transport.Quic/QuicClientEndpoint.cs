using System.Net;
using Transport.Quic.Endpoint;

namespace Transport.Quic;

/// <summary>
/// One client UDP socket for many connections (no ephemeral port per connection): connections are told apart by their
/// random connection IDs. Dispose closes every connection still open and releases the socket.
/// </summary>
public sealed class QuicClientEndpoint : IAsyncDisposable
{
    private readonly EndpointPump _pump;
    private int _disposed;

    /// <summary>Binds the socket to <paramref name="localEndPoint"/> (null: 0.0.0.0, any port; use [::] for IPv6 and IPv4 peers).</summary>
    /// <param name="localEndPoint">The local address.</param>
    /// <param name="connectionIdLength">The length of the connection IDs of every connection on this socket (4 to 20; each connection's <see cref="Connection.ConnectionOptions.ConnectionIdLength"/> must equal it).</param>
    /// <param name="inlineCompletions">Resume stream reads and writes on the receive thread (opt-in; read the risks at <see cref="QuicClientConnectionOptions.InlineCompletions"/>).</param>
    /// <param name="receiveSpinTime">Busy-poll on the receive thread for up to this long after each receive batch before blocking (latency for CPU: it burns a core while spinning; read <see cref="QuicClientConnectionOptions.ReceiveSpinTime"/>). Default zero: off.</param>
    /// <exception cref="ArgumentException">A bad connection ID length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative <paramref name="receiveSpinTime"/> or one above 10 ms.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound.</exception>
    public QuicClientEndpoint(IPEndPoint? localEndPoint = null, int connectionIdLength = 8, bool inlineCompletions = false, TimeSpan receiveSpinTime = default)
    {
        if (connectionIdLength is < 4 or > 20)
            throw new ArgumentOutOfRangeException(nameof(connectionIdLength), connectionIdLength, "A connection ID length must be 4 to 20 bytes.");
        Transport.Core.Udp.UdpReceiveLoop.ValidateSpinTime(receiveSpinTime, nameof(receiveSpinTime));
        _pump = new EndpointPump(new QuicEndpointOptions { LocalConnectionIdLength = connectionIdLength }, localEndPoint ?? new IPEndPoint(IPAddress.Any, 0), inlineCompletions, receiveSpinTime);
        LocalEndPoint = _pump.Endpoint.LocalEndPoint;
    }

    /// <summary>The bound local address.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections on this socket that have not terminated yet.</summary>
    public int ConnectionCount => _pump.Invoke(static core => core.ConnectionCount);

    /// <summary>
    /// Connects to a server over this socket; completes when the handshake did (or at once for 0-RTT with
    /// <see cref="QuicClientConnectionOptions.AllowEarlyData"/>). Disposing the connection does not close the socket.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options (e.g. a connection ID length other than the endpoint's).</exception>
    /// <exception cref="QuicException">The handshake failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the connection is aborted).</exception>
    /// <exception cref="ObjectDisposedException">The endpoint was disposed.</exception>
    public ValueTask<QuicConnection> ConnectAsync(QuicClientConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        QuicConnection.Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        return QuicConnection.ConnectCoreAsync(_pump, ownsPump: false, options, cancellationToken);
    }

    /// <summary>Closes every connection still open (application code 0), waits briefly (at most 2 s) for the closes to be delivered, and releases the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await Task.Run(() =>
        {
            try { _pump.Endpoint.Shutdown(TimeSpan.FromSeconds(2)); } catch (ObjectDisposedException) { }
            _pump.Dispose();
        }).ConfigureAwait(false);
    }
}
