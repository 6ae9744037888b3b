using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Bench.Tour;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Remote;

/// <summary>
/// Kernel TCP (Nagle off) and TCP + TLS 1.3 (<see cref="TourTls"/>: SslStream, TLS 1.3 only, no resumption) to the
/// server's TCP port. One connection carries one perf exchange (its FIN ends the upload), or any number of request
/// forms. The client closes with RST (linger 0) after it has read its answer, like the tour's TCP contenders, so
/// thousands of handshakes leave no TIME_WAIT sockets behind.
/// </summary>
internal sealed class TcpPerfTransport(IPEndPoint server, string serverName, bool tls, byte[]? pin, CongestionControlAlgorithm? congestionControl, Action<string> log) : IPerfClientTransport
{
    public RemoteProtocol Protocol => tls ? RemoteProtocol.Tls : RemoteProtocol.Tcp;

    public bool ExchangesShareConnection => false;

    public async Task<IPerfConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (congestionControl is CongestionControlAlgorithm cc) RemoteSockets.TrySetCongestionControl(socket, cc, log);
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            Stream stream = tls
                ? await TourTls.ClientAsync(socket, serverName, Accept, cancellationToken).ConfigureAwait(false)
                : new NetworkStream(socket, ownsSocket: false);
            return new Connection(socket, stream);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool Accept(X509Certificate? certificate)
    {
        if (pin is null) return true; // --insecure
        if (certificate is null) return false;
        return SHA256.HashData(certificate.GetRawCertData()).AsSpan().SequenceEqual(pin);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Connection(Socket socket, Stream stream) : IPerfConnection
    {
        private readonly byte[] _response = new byte[64 * 1024];
        private byte[] _request = [];
        private bool _exchangeOpened;
        private int _disposed;

        public ValueTask<PerfExchange> OpenExchangeAsync(CancellationToken cancellationToken)
        {
            if (_exchangeOpened) throw new InvalidOperationException("A TCP connection carries one perf exchange: its FIN ends it.");
            _exchangeOpened = true;
            return ValueTask.FromResult(new PerfExchange(
                stream,
                async () =>
                {
                    if (stream is System.Net.Security.SslStream ssl) await ssl.ShutdownAsync().ConfigureAwait(false);
                    else socket.Shutdown(SocketShutdown.Send);
                },
                () => { try { socket.LingerState = new LingerOption(true, 0); socket.Close(); } catch (Exception) { } },
                DisposeAsync));
        }

        public async ValueTask RoundTripAsync(int requestBytes, int responseBytes, CancellationToken cancellationToken)
        {
            if (_request.Length != 2 * PerfFraming.HeaderSize + requestBytes)
            {
                _request = new byte[2 * PerfFraming.HeaderSize + requestBytes];
                PerfFraming.WriteHeader(_request.AsSpan(PerfFraming.HeaderSize), (ulong)requestBytes);
                PerfFraming.Payload.AsSpan(0, requestBytes).CopyTo(_request.AsSpan(2 * PerfFraming.HeaderSize));
            }
            PerfFraming.WriteHeader(_request, PerfFraming.RequestFlag | (uint)responseBytes);
            await stream.WriteAsync(_request, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            int remaining = responseBytes;
            while (remaining > 0)
            {
                int n = await stream.ReadAsync(_response.AsMemory(0, Math.Min(_response.Length, remaining)), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new InvalidDataException($"the server closed the connection {remaining} B before the end of a {responseBytes} B response");
                remaining -= n;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            if (!_exchangeOpened && _request.Length > 0)
            {
                // A request/response connection ends gracefully: our FIN (or close_notify), then the server's (at most 2 s).
                try
                {
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    if (stream is System.Net.Security.SslStream ssl) await ssl.ShutdownAsync().ConfigureAwait(false);
                    else socket.Shutdown(SocketShutdown.Send);
                    while (await stream.ReadAsync(_response, wait.Token).ConfigureAwait(false) > 0) { }
                }
                catch (Exception) { }
            }
            try { socket.LingerState = new LingerOption(true, 0); } catch (Exception) { }
            try { await stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
            socket.Dispose();
        }
    }
}
