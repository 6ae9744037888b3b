using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Transport.Bench.Tour;

/// <summary>
/// An echo server on a listening TCP socket the caller made (possibly in a network namespace): plain TCP or TLS 1.3,
/// and either one echo per connection or <see cref="StreamMultiplexer"/> flows, each served by
/// <see cref="TourServerHandler"/> (first byte 'E': echo).
/// </summary>
internal sealed class TcpEchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly TourPeers _peers;
    private readonly bool _tls, _multiplexed;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<object, IAsyncDisposable> _open = new();
    private readonly Task _acceptLoop;

    public TcpEchoServer(Socket listener, TourPeers peers, bool tls, bool multiplexed)
    {
        _listener = listener;
        _peers = peers;
        _tls = tls;
        _multiplexed = multiplexed;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

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
                continue;
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
            stream = _tls ? await _peers.TlsServerAsync(socket, _stop.Token).ConfigureAwait(false) : new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception)
        {
            socket.Dispose();
            return;
        }
        _open[stream] = stream;
        try
        {
            if (_multiplexed)
            {
                await using var mux = new StreamMultiplexer(stream, isServer: true, RunFlowAsync);
                try { await mux.ReadCompletion.WaitAsync(_stop.Token).ConfigureAwait(false); } catch (Exception) { }
            }
            else
            {
                await TourPeers.EchoAsync(stream, _stop.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            _open.TryRemove(stream, out _);
            try { await stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
    }

    private async Task RunFlowAsync(MuxStream flow)
    {
        try
        {
            await TourServerHandler.HandleAsync(flow, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
        }
        finally
        {
            try { await flow.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
        foreach (IAsyncDisposable open in _open.Values)
        {
            try { await open.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
        _stop.Dispose();
    }
}
