using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Bench.Tour;

/// <summary>
/// Transport's own QUIC through its public API (<see cref="QuicListener"/>, <see cref="QuicConnection"/>,
/// <see cref="QuicStream"/>) on 127.0.0.1. The server is one listener (one UDP socket, GSO/GRO where the kernel has
/// them); the client connections share one <see cref="QuicClientEndpoint"/> (one UDP socket and one I/O driver for
/// many connections, told apart by connection ID: how QUIC stacks are used), made with the first connection.
/// TLS 1.3 with a self-signed ECDSA P-256 certificate made at run time, pinned by the client (like the TCP+TLS
/// contender); no session tickets are used, so every handshake is a full 1-RTT one. Both sides use
/// <see cref="MaxDatagramSize"/>-byte datagrams (an Ethernet path's QUIC payload) from the start and the default windows and
/// CUBIC; by default path MTU discovery (RFC 8899) then grows the datagrams as far as the path carries (on loopback up to
/// the 65527-byte ceiling, since the interface MTU is 65536), the way kernel TCP uses the interface MTU. The second
/// registered instance keeps discovery off ("Transport QUIC, 1452 B") so the tour shows what the larger datagrams bring.
/// Closing a client connection sends CONNECTION_CLOSE at once and leaves the closing period (RFC 9000 §10.2: three
/// PTOs, about 80 ms here) to the shared client endpoint, the way the kernel finishes a TCP close after <c>close()</c>
/// returned; <see cref="Dispose"/> disposes the endpoint, which waits for those closes. The CPU they use still counts
/// (same process).
/// </summary>
internal sealed class TransportQuicContender : ITransportContender, IDisposable
{
    /// <summary>The UDP payload size both sides use: 1500-byte MTU minus IPv6 and UDP headers (what QUIC stacks use on Ethernet).</summary>
    public const int MaxDatagramSize = 1452;

    private static readonly SslApplicationProtocol Alpn = new("transport-tour");
    private readonly X509Certificate2 _certificate;
    private readonly byte[] _pin;
    private readonly ConcurrentDictionary<Task, bool> _closing = new();
    private readonly object _clientGate = new();
    private QuicClientEndpoint? _client;

    private readonly bool _pathMtuDiscovery;
    private readonly bool _inlineCompletions;
    private readonly TimeSpan _receiveSpinTime;

    /// <param name="pathMtuDiscovery">Let PMTU discovery grow the datagrams beyond <see cref="MaxDatagramSize"/> (the default), or stay at it.</param>
    /// <param name="inlineCompletions">Both ends resume stream reads on their receive threads (<see cref="QuicListenerOptions.InlineCompletions"/>, opt-in).</param>
    /// <param name="receiveSpinTime">Both ends busy-poll their sockets this long after each receive batch (<see cref="QuicListenerOptions.ReceiveSpinTime"/>; zero: off).</param>
    public TransportQuicContender(bool pathMtuDiscovery = true, bool inlineCompletions = false, TimeSpan receiveSpinTime = default)
    {
        _receiveSpinTime = receiveSpinTime;
        _pathMtuDiscovery = pathMtuDiscovery;
        _inlineCompletions = inlineCompletions;
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        _pin = TlsClientOptions.ComputeCertificatePin(_certificate);
    }

    public string Name => (_pathMtuDiscovery ? "Transport QUIC" : $"Transport QUIC, {MaxDatagramSize} B") + (_inlineCompletions ? ", inline completions" : "")
        + (_receiveSpinTime > TimeSpan.Zero ? $", spin {_receiveSpinTime.TotalMicroseconds:F0} us" : "");

    public ContenderAvailability Availability => ContenderAvailability.Available;

    public async Task<ITourServer> StartServerAsync(TourStreamHandler handler, CancellationToken cancellationToken)
    {
        var listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ServerConnectionOptions = new ConnectionOptions
            {
                ServerTls = new TlsServerOptions { ServerCertificate = _certificate, ApplicationProtocols = [Alpn] },
                MaxDatagramSize = MaxDatagramSize,
                EnablePathMtuDiscovery = _pathMtuDiscovery,
                MaxBidirectionalStreams = 1000,
            },
            InlineCompletions = _inlineCompletions,
            ReceiveSpinTime = _receiveSpinTime,
        }, cancellationToken).ConfigureAwait(false);
        return new Server(listener, handler);
    }

    public async Task<ITourConnection> ConnectAsync(EndPoint server, CancellationToken cancellationToken)
    {
        var connection = await ClientEndpoint((IPEndPoint)server).ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = (IPEndPoint)server,
            ConnectionOptions = new ConnectionOptions
            {
                ClientTls = new TlsClientOptions
                {
                    ServerName = "localhost",
                    ApplicationProtocols = [Alpn],
                    PinnedCertificateSha256 = [_pin],
                },
                MaxDatagramSize = MaxDatagramSize,
                EnablePathMtuDiscovery = _pathMtuDiscovery,
            },
        }, cancellationToken).ConfigureAwait(false);
        return new Connection(this, connection);
    }

    /// <summary>The shared client socket, bound to the server's address family on first use.</summary>
    private QuicClientEndpoint ClientEndpoint(IPEndPoint server)
    {
        lock (_clientGate)
        {
            return _client ??= new QuicClientEndpoint(new IPEndPoint(
                server.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), inlineCompletions: _inlineCompletions, receiveSpinTime: _receiveSpinTime);
        }
    }

    public void Dispose()
    {
        try { Task.WhenAll(_closing.Keys).Wait(TimeSpan.FromSeconds(10)); } catch (Exception) { }
        QuicClientEndpoint? client;
        lock (_clientGate) (client, _client) = (_client, null);
        try { client?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10)); } catch (Exception) { }
        _certificate.Dispose();
    }

    private void CloseInBackground(QuicConnection connection)
    {
        Task task = Task.Run(async () =>
        {
            try { await connection.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        });
        _closing[task] = true;
        task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, bool>)state!).TryRemove(t, out _), _closing, TaskScheduler.Default);
    }

    private sealed class Server : ITourServer
    {
        private readonly QuicListener _listener;
        private readonly TourStreamHandler _handler;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<QuicConnection, Task> _connections = new();
        private readonly Task _acceptLoop;

        public Server(QuicListener listener, TourStreamHandler handler)
        {
            _listener = listener;
            _handler = handler;
            EndPoint = listener.LocalEndPoint;
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        public EndPoint EndPoint { get; }

        private Task AcceptLoopAsync() =>
            QuicAcceptLoop.RunAsync(_listener, _stop.Token, connection => _connections[connection] = Task.Run(() => ServeAsync(connection)));

        private async Task ServeAsync(QuicConnection connection)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    QuicStream stream = await connection.AcceptInboundStreamAsync(_stop.Token).ConfigureAwait(false);
                    _ = Task.Run(() => RunHandlerAsync(stream));
                }
            }
            catch (Exception)
            {
                // The client closed the connection (QuicException), or the server is stopping.
            }
            finally
            {
                _connections.TryRemove(connection, out _);
                try { await connection.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
            }
        }

        private async Task RunHandlerAsync(QuicStream stream)
        {
            var tourStream = new QuicTourStream(stream);
            try
            {
                await _handler(tourStream, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A measurement abandoned its stream; the client side reports the failure.
            }
            finally
            {
                await tourStream.DisposeAsync().ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
            foreach (var c in _connections.Keys)
            {
                try { await c.CloseAsync(0).ConfigureAwait(false); } catch (Exception) { }
            }
            try { await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
            await _listener.DisposeAsync().ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    internal sealed class Connection(TransportQuicContender owner, QuicConnection connection) : ITourConnection
    {
        /// <summary>The API connection (diagnostics: statistics, its endpoint's counters).</summary>
        public QuicConnection Quic => connection;

        public async ValueTask<ITourStream> OpenStreamAsync(CancellationToken cancellationToken) =>
            new QuicTourStream(await connection.OpenOutboundStreamAsync(bidirectional: true, cancellationToken).ConfigureAwait(false));

        public async ValueTask DisposeAsync()
        {
            try { await connection.CloseAsync(0).ConfigureAwait(false); } catch (Exception) { }
            owner.CloseInBackground(connection);
        }
    }

    private sealed class QuicTourStream(QuicStream stream) : ITourStream
    {
        public System.IO.Stream Stream => stream;

        public ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
        {
            stream.CompleteWrites();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
