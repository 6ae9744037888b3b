using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Tls;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Remote;

/// <summary>
/// The client side of Transport's QUIC in the perf protocol: all connections on one <see cref="QuicClientEndpoint"/>
/// (one UDP socket, told apart by connection ID), ALPN "perf", the server certificate pinned by SHA-256 or (with
/// --insecure) not checked at all. A closed connection finishes its closing period in the background, as the tour's
/// contender does; <see cref="DisposeAsync"/> waits for those closes.
/// </summary>
internal sealed class QuicPerfTransport : IPerfClientTransport
{
    private readonly IPEndPoint _server;
    private readonly string _serverName;
    private readonly byte[]? _pin;
    private readonly int _maxDatagramSize;
    private readonly CongestionControlAlgorithm _congestionControl;
    private readonly QuicClientEndpoint _endpoint;
    private readonly ConcurrentDictionary<Task, bool> _closing = new();

    public QuicPerfTransport(IPEndPoint server, string serverName, byte[]? pin, int maxDatagramSize, CongestionControlAlgorithm congestionControl)
    {
        _server = server;
        _serverName = serverName;
        _pin = pin;
        _maxDatagramSize = maxDatagramSize;
        _congestionControl = congestionControl;
        _endpoint = new QuicClientEndpoint(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
    }

    public RemoteProtocol Protocol => RemoteProtocol.Quic;

    public bool ExchangesShareConnection => true;

    public async Task<IPerfConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var tls = new TlsClientOptions
        {
            ServerName = _serverName,
            ApplicationProtocols = [new SslApplicationProtocol(PerfFraming.Alpn)],
        };
        if (_pin is not null) tls.PinnedCertificateSha256 = [_pin];
        else tls.DangerousAcceptAnyServerCertificate = true;
        QuicConnection connection = await _endpoint.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = _server,
            ConnectionOptions = new ConnectionOptions
            {
                ClientTls = tls,
                MaxDatagramSize = _maxDatagramSize,
                CongestionControl = _congestionControl,
                MaxBidirectionalStreams = 1000,
                MaxUnidirectionalStreams = 1000,
            },
        }, cancellationToken).ConfigureAwait(false);
        return new Connection(this, connection);
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

    public async ValueTask DisposeAsync()
    {
        try { await Task.WhenAll(_closing.Keys).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); } catch (Exception) { }
        try { await _endpoint.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); } catch (Exception) { }
    }

    private sealed class Connection(QuicPerfTransport owner, QuicConnection connection) : IPerfConnection
    {
        private byte[] _request = [];
        private readonly byte[] _response = new byte[64 * 1024];

        public async ValueTask<PerfExchange> OpenExchangeAsync(CancellationToken cancellationToken)
        {
            QuicStream stream = await connection.OpenOutboundStreamAsync(bidirectional: true, cancellationToken).ConfigureAwait(false);
            return new PerfExchange(
                stream,
                () => { stream.CompleteWrites(); return ValueTask.CompletedTask; },
                () => stream.Abort(QuicAbortDirection.Read, 0),
                () => stream.DisposeAsync());
        }

        public async ValueTask RoundTripAsync(int requestBytes, int responseBytes, CancellationToken cancellationToken)
        {
            if (_request.Length != PerfFraming.HeaderSize + requestBytes)
            {
                _request = new byte[PerfFraming.HeaderSize + requestBytes];
                PerfFraming.Payload.AsSpan(0, requestBytes).CopyTo(_request.AsSpan(PerfFraming.HeaderSize));
            }
            PerfFraming.WriteHeader(_request, (ulong)responseBytes);
            await using QuicStream stream = await connection.OpenOutboundStreamAsync(bidirectional: true, cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(_request, completeWrites: true, cancellationToken).ConfigureAwait(false);
            long received = 0;
            while (true)
            {
                int n = await stream.ReadAsync(_response, cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                received += n;
            }
            if (received != responseBytes) throw new InvalidDataException($"asked for {responseBytes} B, the server sent {received} B");
        }

        public async ValueTask DisposeAsync()
        {
            try { await connection.CloseAsync(0).ConfigureAwait(false); } catch (Exception) { }
            owner.CloseInBackground(connection);
        }
    }
}
