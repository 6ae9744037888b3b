using System.Net;
using Transport.Core.Time;
using Transport.Core.Udp;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;

namespace Transport.Quic;

/// <summary>Accepts QUIC connections on one UDP socket (like System.Net.Quic's QuicListener).</summary>
public sealed class QuicListener : IAsyncDisposable
{
    private readonly EndpointPump _pump;
    private readonly AsyncSignal _acceptable = new();
    private readonly int _datagramReceiveQueueCapacity;
    private readonly AddressValidationTokenProtector _tokens = new();
    private int _disposed;
    private bool _stopped; // under the lock

    private QuicListener(QuicListenerOptions options)
    {
        _datagramReceiveQueueCapacity = options.DatagramReceiveQueueCapacity;
        if (options.IssueNewTokens && options.ServerConnectionOptions.NewTokenProvider is null)
        {
            var tokens = _tokens;
            options.ServerConnectionOptions.NewTokenProvider = remote =>
            {
                var token = new byte[AddressValidationTokenProtector.NewTokenLength];
                return tokens.TryWriteNewToken(token, SystemClock.Instance.Now, remote.Address, out _) ? token : null;
            };
        }
        _pump = new EndpointPump(new QuicEndpointOptions
        {
            ServerConnectionOptions = options.ServerConnectionOptions,
            LocalConnectionIdLength = options.ServerConnectionOptions.ConnectionIdLength,
            Admission = new HandshakeAdmissionOptions { AcceptBacklog = options.AcceptBacklog, RetryMode = options.RetryMode },
            TokenProtector = _tokens,
            AcceptBeforeHandshakeCompletes = options.AcceptBeforeHandshakeCompletes,
        }, options.ListenEndPoint, options.InlineCompletions, options.ReceiveSpinTime) { AcceptBeforeHandshakeCompletes = options.AcceptBeforeHandshakeCompletes };
        _pump.HandshakeCompletedHandler = OnHandshakeCompleted;
        LocalEndPoint = _pump.Endpoint.LocalEndPoint;
        if (options.PreferredAddress is { } preferred)
        {
            try
            {
                // RFC 9000 §9.6: a second socket; its address goes into every connection's preferred_address.
                PreferredEndPoint = _pump.Endpoint.AddLocalEndPoint(new UdpSocketOptions { LocalEndPoint = preferred, DualMode = false, ReceiveTypeOfService = true });
            }
            catch
            {
                _pump.Dispose();
                _tokens.Dispose();
                throw;
            }
            IPEndPoint advertised = options.AdvertisedPreferredAddress ?? PreferredEndPoint;
            if (advertised.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) options.ServerConnectionOptions.PreferredAddressIPv4 = advertised;
            else options.ServerConnectionOptions.PreferredAddressIPv6 = advertised;
        }
    }

    /// <summary>The bound preferred address (<see cref="QuicListenerOptions.PreferredAddress"/>), or null.</summary>
    public IPEndPoint? PreferredEndPoint { get; }

    internal EndpointPump Pump => _pump;

    /// <summary>The bound local address.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds the socket and starts accepting handshakes.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound.</exception>
    public static ValueTask<QuicListener> ListenAsync(QuicListenerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ListenEndPoint is null) throw new ArgumentException("QuicListenerOptions.ListenEndPoint is required.", nameof(options));
        if (options.ServerConnectionOptions is null) throw new ArgumentException("QuicListenerOptions.ServerConnectionOptions is required.", nameof(options));
        if (options.ServerConnectionOptions.ServerTls is null)
            throw new ArgumentException("QuicListenerOptions.ServerConnectionOptions.ServerTls is required to listen.", nameof(options));
        if (options.AcceptBacklog < 1)
            throw new ArgumentException($"QuicListenerOptions.AcceptBacklog must be at least 1 (was {options.AcceptBacklog}).", nameof(options));
        if (options.DatagramReceiveQueueCapacity < 1)
            throw new ArgumentException($"QuicListenerOptions.DatagramReceiveQueueCapacity must be at least 1 (was {options.DatagramReceiveQueueCapacity}).", nameof(options));
        if (options.PreferredAddress is { } pa)
        {
            var advertised = options.AdvertisedPreferredAddress ?? pa;
            if (advertised.Address.Equals(IPAddress.Any) || advertised.Address.Equals(IPAddress.IPv6Any))
                throw new ArgumentException("QuicListenerOptions.PreferredAddress is a wildcard address: bind a specific one or set AdvertisedPreferredAddress.", nameof(options));
            if (options.AdvertisedPreferredAddress is { Port: 0 })
                throw new ArgumentException("QuicListenerOptions.AdvertisedPreferredAddress has port 0.", nameof(options));
        }
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(new QuicListener(options));
    }

    /// <summary>
    /// Waits for the next connection whose handshake completed (with <see cref="QuicListenerOptions.AcceptBeforeHandshakeCompletes"/>:
    /// whose first flight is out, see there). Connections wait in the accept backlog
    /// (<see cref="QuicListenerOptions.AcceptBacklog"/>) until taken; their streams and datagrams are already buffered.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async ValueTask<QuicConnection> AcceptConnectionAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            cancellationToken.ThrowIfCancellationRequested();
            (QuicConnection? connection, Task wait) = _pump.Invoke(this, static (core, self) =>
            {
                while (core.TryAccept(out var c))
                {
                    if (self._pump.TryGetConnection(c, out var api)) return (api, Task.CompletedTask);
                }
                return ((QuicConnection?)null, self._acceptable.Task);
            });
            if (connection is not null) return connection;
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Under the lock: the API object exists from handshake completion (or the first flight), so no event of the connection is lost before it is accepted.</summary>
    private void OnHandshakeCompleted(QuicConnectionCore core)
    {
        if (_pump.TryGetConnection(core, out _)) return;
        var connection = new QuicConnection(_pump, core, ownsPump: false, _datagramReceiveQueueCapacity);
        _pump.Register(core, connection);
        connection.MarkConnected(core.IsHandshakeComplete);
        if (_stopped) core.Close(0, "server shutting down");
        _acceptable.Set();
    }

    /// <summary>
    /// Graceful shutdown: stops accepting (new handshakes are closed at once), waits up to <paramref name="drainTimeout"/>
    /// for the connections to close by themselves, then closes the rest with <paramref name="errorCode"/> and waits for
    /// their closing periods (at most 2 s more). The socket stays open until <see cref="DisposeAsync"/>.
    /// </summary>
    /// <returns>True when every connection ended within the time.</returns>
    public async ValueTask<bool> ShutdownAsync(TimeSpan drainTimeout, ulong errorCode = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(drainTimeout, TimeSpan.Zero);
        if (errorCode > Transport.Core.Wire.VarInt.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(errorCode), errorCode, "An error code is a QUIC varint: at most 2^62-1.");
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _pump.Invoke(this, static (_, self) => { self._stopped = true; self._acceptable.Set(); return 0; });
        var deadline = DateTime.UtcNow + drainTimeout;
        while (DateTime.UtcNow < deadline && _pump.Invoke(static core => core.ConnectionCount) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() => _pump.Endpoint.WaitForActivity(TimeSpan.FromMilliseconds(20)), cancellationToken).ConfigureAwait(false);
        }
        return await Task.Run(() => _pump.Endpoint.Shutdown(TimeSpan.FromSeconds(2), errorCode), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes every connection still open (application code 0), waits briefly (at most 2 s) for their closing periods so
    /// the peers learn of it, and releases the socket. Use <see cref="ShutdownAsync"/> first to let connections drain.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { _pump.Invoke(this, static (_, self) => { self._stopped = true; self._acceptable.Set(); return 0; }); }
        catch (ObjectDisposedException) { }
        await Task.Run(() =>
        {
            try { _pump.Endpoint.Shutdown(TimeSpan.FromSeconds(2)); } catch (ObjectDisposedException) { }
            _pump.Dispose();
            _tokens.Dispose();
        }).ConfigureAwait(false);
    }
}
