using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Transport.Bench.Tour;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Bench.Remote;

/// <summary>
/// The <c>server</c> mode: Transport's QUIC listener speaking the perf protocol (ALPN "perf") on UDP, and kernel TCP
/// and TCP+TLS 1.3 with the same framing (<see cref="PerfFraming"/>) on the same TCP port number. Every connection and
/// stream runs on its own task; whatever a client does wrong (a truncated header, a reset stream, a failed handshake,
/// an abrupt close) ends that stream or connection with one log line and never the server.
/// </summary>
internal sealed class PerfServer : IAsyncDisposable
{
    private readonly QuicListener _listener;
    private readonly Socket _tcp;
    private readonly SslStreamCertificateContext _tlsContext;
    private readonly RemoteServerOptions _options;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private readonly Task _quicAccept;
    private readonly Task _tcpAccept;
    private long _connectionsServed;
    private long _streamsServed;
    private long _streamsFailed;

    private PerfServer(QuicListener listener, Socket tcp, X509Certificate2 certificate, RemoteServerOptions options, Action<string> log)
    {
        _listener = listener;
        _tcp = tcp;
        _tlsContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null);
        _options = options;
        _log = log;
        QuicEndPoint = listener.LocalEndPoint;
        TcpEndPoint = (IPEndPoint)tcp.LocalEndPoint!;
        _quicAccept = Task.Run(QuicAcceptLoopAsync);
        _tcpAccept = Task.Run(TcpAcceptLoopAsync);
    }

    public IPEndPoint QuicEndPoint { get; }

    public IPEndPoint TcpEndPoint { get; }

    /// <summary>Raised once per ended connection (any protocol), after its line was logged.</summary>
    public event Action<PerfConnectionSummary>? ConnectionEnded;

    /// <summary>Connections that ended (any protocol), including failed ones.</summary>
    public long ConnectionsServed => Interlocked.Read(ref _connectionsServed);

    /// <summary>Streams (QUIC streams, TCP/TLS exchanges) answered in full.</summary>
    public long StreamsServed => Interlocked.Read(ref _streamsServed);

    /// <summary>Streams that ended with an error or a protocol violation by the client.</summary>
    public long StreamsFailed => Interlocked.Read(ref _streamsFailed);

    /// <summary>
    /// Starts listening on <see cref="RemoteServerOptions.Port"/> (UDP and TCP). Port 0 picks a free UDP port and
    /// then takes the same number for TCP (a few tries).
    /// </summary>
    public static async Task<PerfServer> StartAsync(RemoteServerOptions options, X509Certificate2 certificate, Action<string> log, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            QuicListener listener = await QuicListener.ListenAsync(new QuicListenerOptions
            {
                ListenEndPoint = new IPEndPoint(options.Bind, options.Port),
                ServerConnectionOptions = new ConnectionOptions
                {
                    ServerTls = new TlsServerOptions { ServerCertificate = certificate, ApplicationProtocols = [new SslApplicationProtocol(PerfFraming.Alpn)] },
                    MaxDatagramSize = options.MaxDatagramSize,
                    CongestionControl = options.CongestionControl,
                    MaxBidirectionalStreams = 1000,
                    MaxUnidirectionalStreams = 1000,
                },
            }, cancellationToken).ConfigureAwait(false);
            var tcp = new Socket(options.Bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (options.Bind.AddressFamily == AddressFamily.InterNetworkV6) tcp.DualMode = true;
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(new IPEndPoint(options.Bind, listener.LocalEndPoint.Port));
                tcp.Listen(512);
                return new PerfServer(listener, tcp, certificate, options, log);
            }
            catch (SocketException e) when (options.Port == 0 && attempt < 10 && e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                tcp.Dispose();
                await listener.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                tcp.Dispose();
                await listener.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private void Track(Task task)
    {
        _running[task] = true;
        task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, bool>)state!).TryRemove(t, out _), _running, TaskScheduler.Default);
    }

    private void Log(string line)
    {
        if (!_options.Quiet) _log(line);
    }

    private void Failed(string line)
    {
        Interlocked.Increment(ref _streamsFailed);
        _log(line);
    }

    // ---------------------------------------------------------------- QUIC

    private Task QuicAcceptLoopAsync() =>
        QuicAcceptLoop.RunAsync(_listener, _stop.Token,
            connection => Track(Task.Run(() => ServeQuicAsync(connection))),
            e => _log($"quic: a handshake failed: {e.Message}"));

    private async Task ServeQuicAsync(QuicConnection connection)
    {
        var totals = new ConnectionTotals();
        var started = Stopwatch.StartNew();
        var streams = new List<Task>();
        string end = "closed";
        EndPoint remote = connection.RemoteEndPoint;
        try
        {
            while (true)
            {
                QuicStream stream = await connection.AcceptInboundStreamAsync(_stop.Token).ConfigureAwait(false);
                totals.Streams++;
                streams.Add(Task.Run(() => ServeQuicStreamAsync(connection, stream, totals)));
                if (streams.Count > 256) streams.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (QuicException e)
        {
            end = e.ApplicationErrorCode == 0 && e.Error == QuicError.ConnectionAborted ? "closed by client" : e.Message;
        }
        catch (OperationCanceledException)
        {
            end = "server stopping";
        }
        catch (Exception e)
        {
            end = $"{e.GetType().Name}: {e.Message}";
        }
        try { await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
        try { await connection.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        Ended("quic", remote, started.Elapsed, end, totals);
    }

    private async Task ServeQuicStreamAsync(QuicConnection connection, QuicStream stream, ConnectionTotals totals)
    {
        try
        {
            byte[] header = new byte[PerfFraming.HeaderSize];
            int got = await PerfFraming.ReadAtMostAsync(stream, header, _stop.Token).ConfigureAwait(false);
            Interlocked.Add(ref totals.Received, got);
            if (got < PerfFraming.HeaderSize)
            {
                // draft-banks-quic-performance §2.3.1: a stream closed before 8 bytes is ignored and closed gracefully.
                Failed($"quic {connection.RemoteEndPoint} stream {stream.Id}: ended after {got} of 8 header bytes; ignored");
                if (stream.IsBidirectional) stream.CompleteWrites();
                return;
            }
            ulong requested = PerfFraming.ReadHeader(header);
            byte[] scratch = new byte[64 * 1024];
            Interlocked.Add(ref totals.Received, await PerfFraming.DrainAsync(stream, scratch, _stop.Token).ConfigureAwait(false));
            if (requested == 0)
            {
                if (stream.IsBidirectional) stream.CompleteWrites();
            }
            else if (stream.IsBidirectional)
            {
                await SendQuicAsync(stream, requested, totals).ConfigureAwait(false);
            }
            else
            {
                // §2.3.2: a unidirectional request is answered on a new unidirectional stream.
                await using QuicStream reply = await connection.OpenOutboundStreamAsync(bidirectional: false, _stop.Token).ConfigureAwait(false);
                await SendQuicAsync(reply, requested, totals).ConfigureAwait(false);
            }
            Interlocked.Increment(ref _streamsServed);
        }
        catch (QuicException e) when (e.Error == QuicError.StreamAborted)
        {
            Failed($"quic {connection.RemoteEndPoint} stream {stream.Id}: reset by the client (code {e.ApplicationErrorCode})");
            try { stream.Abort(QuicAbortDirection.Both, 0); } catch (Exception) { }
        }
        catch (QuicException e) when (e.Error is QuicError.ConnectionAborted or QuicError.ConnectionIdle or QuicError.TransportError or QuicError.StatelessReset)
        {
            // The connection ended; its line says how.
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Failed($"quic {SafeRemote(connection)} stream {stream.Id}: {e.GetType().Name}: {e.Message}");
            try { stream.Abort(QuicAbortDirection.Both, 0); } catch (Exception) { }
        }
        finally
        {
            try { await stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
    }

    private static string SafeRemote(QuicConnection connection)
    {
        try { return connection.RemoteEndPoint.ToString(); }
        catch (Exception) { return "?"; }
    }

    private async Task SendQuicAsync(QuicStream stream, ulong requested, ConnectionTotals totals)
    {
        long sent = 0;
        try
        {
            while (requested == PerfFraming.Unlimited || (ulong)sent < requested)
            {
                int chunk = requested == PerfFraming.Unlimited ? PerfFraming.Payload.Length : (int)Math.Min((ulong)PerfFraming.Payload.Length, requested - (ulong)sent);
                await stream.WriteAsync(PerfFraming.Payload.AsMemory(0, chunk), _stop.Token).ConfigureAwait(false);
                sent += chunk;
                Interlocked.Add(ref totals.Sent, chunk);
            }
            stream.CompleteWrites();
        }
        catch (QuicException e) when (e.Error == QuicError.StreamStopped && requested == PerfFraming.Unlimited)
        {
            // An unlimited response ends when the client stops reading (STOP_SENDING): the normal end of a timed download.
            stream.Abort(QuicAbortDirection.Write, 0);
        }
    }

    // ---------------------------------------------------------------- TCP and TLS

    private async Task TcpAcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _tcp.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                _log($"tcp: accept failed: {e.Message}");
                continue;
            }
            Track(Task.Run(() => ServeTcpAsync(socket)));
        }
    }

    private async Task ServeTcpAsync(Socket socket)
    {
        var totals = new ConnectionTotals();
        var started = Stopwatch.StartNew();
        EndPoint remote;
        try { remote = socket.RemoteEndPoint ?? new IPEndPoint(IPAddress.None, 0); }
        catch (SocketException) { remote = new IPEndPoint(IPAddress.None, 0); }
        string kind = "tcp";
        string end = "closed";
        Stream? stream = null;
        try
        {
            socket.NoDelay = true;
            if (_options.CongestionControlGiven) RemoteSockets.TrySetCongestionControl(socket, _options.CongestionControl, _log);
            byte[] first = new byte[1];
            int peeked = await socket.ReceiveAsync(first, SocketFlags.Peek, _stop.Token).ConfigureAwait(false);
            if (peeked == 0)
            {
                Failed($"tcp {remote}: closed before sending anything");
                end = "closed before sending anything";
            }
            else if (first[0] == PerfFraming.TlsHandshakeRecord)
            {
                kind = "tls";
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                handshake.CancelAfter(TimeSpan.FromSeconds(10));
                stream = await TourTls.ServerAsync(socket, _tlsContext, handshake.Token).ConfigureAwait(false);
            }
            else
            {
                stream = new NetworkStream(socket, ownsSocket: false);
            }
            if (stream is not null) end = await ServeExchangesAsync(socket, stream, kind, remote, totals).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            end = "server stopping";
        }
        catch (Exception e)
        {
            end = $"{e.GetType().Name}: {e.Message}";
            Interlocked.Increment(ref _streamsFailed);
        }
        finally
        {
            if (stream is not null) { try { await stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { } }
            socket.Dispose();
        }
        Ended(kind, remote, started.Elapsed, end, totals);
    }

    /// <summary>
    /// The exchanges of one TCP or TLS connection: request/response forms (<see cref="PerfFraming.RequestFlag"/>) as long
    /// as they come, then at most one perf-protocol exchange that ends with the connection.
    /// </summary>
    private async Task<string> ServeExchangesAsync(Socket socket, Stream stream, string kind, EndPoint remote, ConnectionTotals totals)
    {
        byte[] header = new byte[PerfFraming.HeaderSize];
        byte[] scratch = new byte[64 * 1024];
        while (true)
        {
            int got = await PerfFraming.ReadAtMostAsync(stream, header, _stop.Token).ConfigureAwait(false);
            Interlocked.Add(ref totals.Received, got);
            if (got == 0 && totals.Streams > 0)
            {
                await CompleteWritesAsync(socket, stream).ConfigureAwait(false);
                return "closed by client";
            }
            if (got < PerfFraming.HeaderSize)
            {
                Failed($"{kind} {remote}: ended after {got} of 8 header bytes; ignored");
                await CompleteWritesAsync(socket, stream).ConfigureAwait(false);
                return "truncated header";
            }
            totals.Streams++;
            ulong value = PerfFraming.ReadHeader(header);
            if (value != PerfFraming.Unlimited && (value & PerfFraming.RequestFlag) != 0)
            {
                ulong response = value & ~PerfFraming.RequestFlag;
                got = await PerfFraming.ReadAtMostAsync(stream, header, _stop.Token).ConfigureAwait(false);
                if (got < PerfFraming.HeaderSize) { Failed($"{kind} {remote}: request length truncated"); return "truncated request"; }
                ulong length = PerfFraming.ReadHeader(header);
                if (response > PerfFraming.MaxRequestResponseBytes || length > PerfFraming.MaxRequestResponseBytes)
                {
                    Failed($"{kind} {remote}: request of {length} B asking for {response} B is above the {PerfFraming.MaxRequestResponseBytes} B limit of the request form");
                    return "request too large";
                }
                long remaining = (long)length;
                while (remaining > 0)
                {
                    int n = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, remaining)), _stop.Token).ConfigureAwait(false);
                    if (n == 0) { Failed($"{kind} {remote}: request ended {remaining} B short"); return "truncated request"; }
                    remaining -= n;
                }
                Interlocked.Add(ref totals.Received, 8 + (long)length);
                await PerfFraming.WritePayloadAsync(stream, response, _stop.Token).ConfigureAwait(false);
                await stream.FlushAsync(_stop.Token).ConfigureAwait(false);
                Interlocked.Add(ref totals.Sent, (long)response);
                Interlocked.Increment(ref _streamsServed);
                continue;
            }

            // The perf form: upload until the client's FIN, then the response and our FIN.
            Interlocked.Add(ref totals.Received, await PerfFraming.DrainAsync(stream, scratch, _stop.Token).ConfigureAwait(false));
            try
            {
                long sent = 0;
                while (value == PerfFraming.Unlimited || (ulong)sent < value)
                {
                    int chunk = value == PerfFraming.Unlimited ? PerfFraming.Payload.Length : (int)Math.Min((ulong)PerfFraming.Payload.Length, value - (ulong)sent);
                    await stream.WriteAsync(PerfFraming.Payload.AsMemory(0, chunk), _stop.Token).ConfigureAwait(false);
                    sent += chunk;
                    Interlocked.Add(ref totals.Sent, chunk);
                }
                await CompleteWritesAsync(socket, stream).ConfigureAwait(false);
            }
            catch (IOException) when (value == PerfFraming.Unlimited)
            {
                return "client stopped reading (unlimited response)";
            }
            Interlocked.Increment(ref _streamsServed);
            return "closed";
        }
    }

    private void Ended(string kind, EndPoint remote, TimeSpan elapsed, string end, ConnectionTotals totals)
    {
        Interlocked.Increment(ref _connectionsServed);
        Log(totals.Line(kind, remote, elapsed, end));
        ConnectionEnded?.Invoke(new PerfConnectionSummary(kind, remote, totals.Streams, Interlocked.Read(ref totals.Received), Interlocked.Read(ref totals.Sent), end));
    }

    private static async Task CompleteWritesAsync(Socket socket, Stream stream)
    {
        if (stream is SslStream ssl) await ssl.ShutdownAsync().ConfigureAwait(false);
        else socket.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _tcp.Dispose();
        try { await Task.WhenAll(_quicAccept, _tcpAccept).ConfigureAwait(false); } catch (Exception) { }
        try { await Task.WhenAll(_running.Keys).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
        await _listener.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Per-connection byte counts for the connection's closing line.</summary>
    private sealed class ConnectionTotals
    {
        public long Received;
        public long Sent;
        public int Streams;

        public string Line(string kind, EndPoint remote, TimeSpan elapsed, string end)
        {
            double seconds = Math.Max(elapsed.TotalSeconds, 1e-6);
            var sb = new StringBuilder();
            sb.Append($"{kind,-4} {remote,-24} {Streams,5} stream{(Streams == 1 ? " " : "s")}  rx {RemoteFormat.Bytes(Interlocked.Read(ref Received)),10}");
            sb.Append($"  tx {RemoteFormat.Bytes(Interlocked.Read(ref Sent)),10}  {seconds,7:F2} s");
            long moved = Math.Max(Interlocked.Read(ref Received), Interlocked.Read(ref Sent));
            sb.Append($"  {moved * 8 / seconds / 1e9,6:F2} Gbit/s  ({end})");
            return sb.ToString();
        }
    }
}
