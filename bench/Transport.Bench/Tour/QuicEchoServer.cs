using System.Collections.Concurrent;
using System.Net;
using Transport.Quic;

namespace Transport.Bench.Tour;

/// <summary>
/// An echo server on a <see cref="QuicListener"/> the caller made (possibly in a network namespace): every inbound
/// stream of every connection is echoed until its FIN (<see cref="TourPeers.EchoAsync"/>), then finished.
/// </summary>
internal sealed class QuicEchoServer : IAsyncDisposable
{
    private readonly QuicListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<QuicConnection, Task> _connections = new();
    private readonly Task _acceptLoop;

    public QuicEchoServer(QuicListener listener)
    {
        _listener = listener;
        EndPoint = listener.LocalEndPoint;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections accepted and not yet closed.</summary>
    public int ConnectionCount => _connections.Count;

    private Task AcceptLoopAsync() =>
        QuicAcceptLoop.RunAsync(_listener, _stop.Token, connection => _connections[connection] = Task.Run(() => ServeAsync(connection)));

    private async Task ServeAsync(QuicConnection connection)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                QuicStream stream = await connection.AcceptInboundStreamAsync(_stop.Token).ConfigureAwait(false);
                _ = Task.Run(async () =>
                {
                    await using (stream)
                    {
                        await TourPeers.EchoAsync(stream, _stop.Token).ConfigureAwait(false);
                        try { stream.CompleteWrites(); } catch (Exception) { }
                    }
                });
            }
        }
        catch (Exception)
        {
            // the client closed, or the server is stopping
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            try { await connection.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
        foreach (QuicConnection c in _connections.Keys)
        {
            try { await c.CloseAsync(0).AsTask().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch (Exception) { }
        }
        try { await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
        try { await _listener.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { }
        _stop.Dispose();
    }
}
