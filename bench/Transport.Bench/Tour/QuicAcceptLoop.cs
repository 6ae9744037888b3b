using Transport.Quic;

namespace Transport.Bench.Tour;

/// <summary>The accept loop the bench's QUIC servers share (tour echo server, tour contender, remote perf server).</summary>
internal static class QuicAcceptLoop
{
    /// <summary>
    /// Accepts connections until <paramref name="stop"/> is cancelled or the listener is disposed, handing each to
    /// <paramref name="onConnection"/>; a handshake that failed goes to <paramref name="onFailedHandshake"/> and the loop goes on.
    /// </summary>
    public static async Task RunAsync(QuicListener listener, CancellationToken stop, Action<QuicConnection> onConnection, Action<QuicException>? onFailedHandshake = null)
    {
        while (!stop.IsCancellationRequested)
        {
            QuicConnection connection;
            try
            {
                connection = await listener.AcceptConnectionAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (QuicException e)
            {
                onFailedHandshake?.Invoke(e);
                continue;
            }
            onConnection(connection);
        }
    }
}
