using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Transport.Bench.Tour;

/// <summary>
/// The loopback server of the TCP-based contenders: accepts TCP connections on 127.0.0.1, optionally wraps each in TLS
/// (<c>wrap</c>), then hands the connection to the handler as one stream, or demultiplexes it into many
/// (<see cref="TcpStreamMode.Multiplexed"/>).
/// </summary>
internal sealed class TcpFamilyServer : ITourServer
{
    private readonly Socket _listener;
    private readonly TourStreamHandler _handler;
    private readonly Func<Socket, CancellationToken, Task<Stream>> _wrap;
    private readonly TcpStreamMode _mode;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<object, IAsyncDisposable> _open = new();
    private readonly Task _acceptLoop;

    public TcpFamilyServer(TourStreamHandler handler, Func<Socket, CancellationToken, Task<Stream>> wrap, TcpStreamMode mode)
    {
        _handler = handler;
        _wrap = wrap;
        _mode = mode;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1024);
        EndPoint = _listener.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public EndPoint EndPoint { get; }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a client gave up mid-handshake
            }
            socket.NoDelay = true;
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream;
        try
        {
            stream = await _wrap(socket, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            socket.Dispose(); // failed or aborted TLS handshake
            return;
        }
        if (_mode == TcpStreamMode.Multiplexed)
        {
            var mux = new StreamMultiplexer(stream, isServer: true, RunHandlerAsync);
            _open[mux] = mux;
            // Release the socket once the client closed, not at server shutdown: the handshake measurement opens
            // thousands of connections and would otherwise run out of file descriptors.
            try { await mux.ReadCompletion.ConfigureAwait(false); } catch (Exception) { }
            if (_open.TryRemove(mux, out _)) await mux.DisposeAsync().ConfigureAwait(false);
            return;
        }
        await RunHandlerAsync(new ByteStreamTourStream(socket, stream, abortOnDispose: false)).ConfigureAwait(false);
    }

    private async Task RunHandlerAsync(ITourStream stream)
    {
        _open[stream] = stream;
        try
        {
            await _handler(stream, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A client that closes abruptly (RST after the handshake measurement) ends its handler this way.
        }
        finally
        {
            _open.TryRemove(stream, out _);
            try { await stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        foreach (IAsyncDisposable open in _open.Values)
        {
            try { await open.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
        _stop.Dispose();
    }
}
