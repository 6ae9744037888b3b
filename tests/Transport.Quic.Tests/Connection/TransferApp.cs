using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// A test application over a <see cref="ConnectionPair"/>: the client opens bidirectional streams and sends a
/// deterministic byte pattern with FIN; the server answers each stream it sees with its own pattern. Both sides check
/// every byte (value and order) as they read.
/// </summary>
internal sealed class TransferApp
{
    private readonly ConnectionPair _pair;
    private readonly long _bytesPerStream;
    private readonly Dictionary<long, long> _clientReceived = new(), _serverReceived = new();
    private readonly HashSet<long> _clientDone = new(), _serverDone = new();
    private readonly byte[] _readBuffer = new byte[65536];

    public TransferApp(ConnectionPair pair, long bytesPerStream)
    {
        _pair = pair;
        _bytesPerStream = bytesPerStream;
        pair.OnEvent = OnEvent;
    }

    public List<string> Errors { get; } = new();
    public List<long> Streams { get; } = new();

    public static byte Pattern(long streamId, long offset, bool fromClient) =>
        (byte)((offset * 131 + (offset >> 11) * 7 + streamId * 17 + (fromClient ? 0 : 91)) & 0xff);

    public bool IsComplete => Streams.Count > 0 && _clientDone.Count == Streams.Count && _serverDone.Count == Streams.Count;

    public void OpenStreams(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.True(_pair.Client.TryOpenStream(bidirectional: true, out long id));
            Streams.Add(id);
            Write(_pair.Client, id, fromClient: true);
        }
    }

    private void Write(QuicConnectionCore connection, long id, bool fromClient)
    {
        var chunk = new byte[65536];
        for (long offset = 0; offset < _bytesPerStream; offset += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, _bytesPerStream - offset);
            for (int i = 0; i < n; i++) chunk[i] = Pattern(id, offset + i, fromClient);
            connection.WriteStream(id, chunk.AsSpan(0, n));
        }
        connection.FinishStream(id);
    }

    private void OnEvent(ConnectionPair pair, bool isClient, ConnectionEvent e)
    {
        var connection = isClient ? pair.Client : pair.Server;
        switch (e.Kind)
        {
            case ConnectionEventKind.StreamOpened when !isClient:
                Write(connection, e.StreamId, fromClient: false);
                break;
            case ConnectionEventKind.StreamReadable:
                Read(connection, e.StreamId, isClient);
                break;
            case ConnectionEventKind.StreamReset:
            case ConnectionEventKind.Closed:
                Errors.Add($"{(isClient ? "client" : "server")}: {e}");
                break;
        }
    }

    private void Read(QuicConnectionCore connection, long id, bool isClient)
    {
        var received = isClient ? _clientReceived : _serverReceived;
        var done = isClient ? _clientDone : _serverDone;
        received.TryGetValue(id, out long offset);
        while (true)
        {
            int n = connection.ReadStream(id, _readBuffer, out bool finished);
            for (int i = 0; i < n; i++)
            {
                if (_readBuffer[i] != Pattern(id, offset + i, fromClient: !isClient))
                {
                    Errors.Add($"{(isClient ? "client" : "server")} stream {id}: wrong byte at {offset + i}");
                    return;
                }
            }
            offset += n;
            if (finished)
            {
                if (offset != _bytesPerStream) Errors.Add($"stream {id}: FIN after {offset} of {_bytesPerStream} bytes");
                done.Add(id);
                break;
            }
            if (n == 0) break;
        }
        received[id] = offset;
    }
}
