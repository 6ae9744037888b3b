using Transport.Quic.Packets;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Transport.Interop.Hq;
using Transport.Interop.Http3;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Qlog;
using Transport.Quic.Endpoint;
using Transport.Quic.Tls;

namespace Transport.Interop.Endpoint;

/// <summary>
/// The runner's server role over our public API: one <see cref="QuicListener"/> on PORT (all addresses by default)
/// that offers both h3 and hq-interop and serves WWW with <see cref="Http3Server"/> or <see cref="HqServer"/> by the
/// negotiated ALPN, until disposed.
/// </summary>
public sealed class InteropServer : IAsyncDisposable
{
    private readonly QuicListener _listener;
    private readonly WebRoot _root;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connections = [];
    private readonly List<QuicConnection> _open = [];
    private readonly TextWriter? _log;
    private int _accepted;

    private InteropServer(QuicListener listener, WebRoot root, TextWriter? log)
    {
        _listener = listener;
        _root = root;
        _log = log;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound address (its port is the real one when PORT was 0).</summary>
    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>connectionmigration: the bound preferred address (its socket), else null.</summary>
    public IPEndPoint? PreferredEndPoint => _listener.PreferredEndPoint;

    /// <summary>Connections accepted so far (handshake completed).</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _accepted);

    /// <summary>
    /// The connection options the server uses for <paramref name="testCase"/>: certificate chain from CERTS, both
    /// ALPNs, ChaCha20 only for chacha20, tickets for resumption/zerortt, 0-RTT for zerortt, the key log.
    /// </summary>
    public static ConnectionOptions CreateConnectionOptions(EndpointConfig config, InteropTestCase testCase)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(testCase);
        (X509Certificate2 leaf, X509Certificate2Collection intermediates) = LoadChain(config.Certs);
        var tls = new TlsServerOptions
        {
            ServerCertificate = leaf,
            ServerCertificateChain = intermediates.Count > 0 ? intermediates : null,
            ApplicationProtocols = [new SslApplicationProtocol(InteropTestCase.H3), new SslApplicationProtocol(InteropTestCase.HqInterop)],
            KeyLog = config.KeyLogFile is null ? null : TlsKeyLog.ToFile(config.KeyLogFile),
        };
        if (testCase.ChaCha20Only) tls.CipherSuites = [CipherSuite.ChaCha20Poly1305Sha256];
        if (testCase.Tickets) tls.SessionTicketKeys = new TlsSessionTicketKeys();
        if (testCase.EarlyData) tls.EnableEarlyData = true;
        var options = new ConnectionOptions
        {
            ServerTls = tls,
            // multiplexing: the client may ask for ~2000 files; a higher limit than the default 100 saves MAX_STREAMS round trips.
            MaxBidirectionalStreams = 1000,
        };
        if (testCase.LongTimeouts) options.IdleTimeout = TimeSpan.FromSeconds(180);
        if (testCase.PreferV2) options.Versions = [QuicVersion.Version2, QuicVersion.Version1];
        if (testCase.Ecn) options.EnableEcn = true;
        options.EnablePathMtuDiscovery = testCase.PathMtuDiscovery;
        if (config.QlogDirectory is not null) options.Qlog = new QlogFileFactory(config.QlogDirectory);
        return options;
    }

    /// <summary>The host's first non-loopback IPv4 (or IPv6 for an IPv6 wildcard) address with <paramref name="bind"/>'s port; loopback when there is none.</summary>
    private static IPEndPoint HostAddress(IPEndPoint bind)
    {
        var family = bind.AddressFamily;
        foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != System.Net.NetworkInformation.OperationalStatus.Up) continue;
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
                if (a.Address.AddressFamily == family && !IPAddress.IsLoopback(a.Address) && !a.Address.IsIPv6LinkLocal)
                    return new IPEndPoint(a.Address, bind.Port);
        }
        return new IPEndPoint(family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, bind.Port);
    }

    /// <summary>Loads cert.pem (leaf first, then intermediates) and priv.key from <paramref name="certs"/>.</summary>
    public static (X509Certificate2 Leaf, X509Certificate2Collection Intermediates) LoadChain(string certs)
    {
        string certPath = Path.Combine(certs, "cert.pem");
        X509Certificate2 leaf = X509Certificate2.CreateFromPemFile(certPath, Path.Combine(certs, "priv.key"));
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certPath);
        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < all.Count; i++) intermediates.Add(all[i]);
        all[0].Dispose();
        return (leaf, intermediates);
    }

    /// <summary>Starts listening; <paramref name="log"/> gets one line per connection (null: silent).</summary>
    public static async Task<InteropServer> StartAsync(EndpointConfig config, InteropTestCase testCase, TextWriter? log = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(testCase);
        var root = new WebRoot(config.Www);
        var listenerOptions = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(config.ListenAddress, config.Port),
            ServerConnectionOptions = CreateConnectionOptions(config, testCase),
            RetryMode = testCase.Retry ? RetryMode.Always : RetryMode.WhenBusy,
        };
        if (testCase.PreferredAddress)
        {
            // connectionmigration: a second socket, advertised in preferred_address (ngtcp2 uses port 4433 in the runner).
            IPEndPoint bind = config.PreferredListen ?? new IPEndPoint(IPAddress.Any, 4433);
            listenerOptions.PreferredAddress = bind;
            listenerOptions.AdvertisedPreferredAddress = config.PreferredAddress
                ?? (bind.Address.Equals(IPAddress.Any) || bind.Address.Equals(IPAddress.IPv6Any) ? HostAddress(bind) : null);
        }
        QuicListener listener = await QuicListener.ListenAsync(listenerOptions, cancellationToken).ConfigureAwait(false);
        return new InteropServer(listener, root, log);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            QuicConnection connection;
            try
            {
                connection = await _listener.AcceptConnectionAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) { break; } // stopped
            Interlocked.Increment(ref _accepted);
            lock (_connections)
            {
                _open.Add(connection);
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ServeAsync(connection)));
            }
        }
    }

    private async Task ServeAsync(QuicConnection connection)
    {
        string alpn = connection.NegotiatedApplicationProtocol.ToString();
        _log?.WriteLine($"server: connection from {connection.RemoteEndPoint}, ALPN {alpn}");
        var h3 = new QuicH3Connection(connection);
        try
        {
            if (alpn == InteropTestCase.H3) await new Http3Server(_root).ServeConnectionAsync(h3, _stop.Token).ConfigureAwait(false);
            else await new HqServer(_root).ServeConnectionAsync(h3, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or QuicException)
        {
            _log?.WriteLine($"server: connection from {connection.RemoteEndPoint} ended: {e.Message}");
        }
        finally
        {
            lock (_connections) _open.Remove(connection);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting, closes every connection and releases the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        QuicConnection[] open;
        Task[] serving;
        lock (_connections)
        {
            open = _open.ToArray();
            serving = _connections.ToArray();
        }
        foreach (QuicConnection c in open)
        {
            try { await c.CloseAsync(0).ConfigureAwait(false); } catch (Exception e) when (e is QuicException or ObjectDisposedException) { }
        }
        try { await Task.WhenAll(serving).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
        await _listener.DisposeAsync().ConfigureAwait(false);
        try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
        _stop.Dispose();
    }
}
