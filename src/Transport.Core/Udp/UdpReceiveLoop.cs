using System.Net.Sockets;

namespace Transport.Core.Udp;

/// <summary>
/// A dedicated thread that receives batches from a <see cref="UdpDatagramSocket"/> and hands each datagram to an
/// <see cref="IDatagramReceiver"/>, until the socket or this loop is disposed. Created by
/// <see cref="UdpDatagramSocket.StartReceiveLoop"/>. Allocates nothing per datagram.
/// </summary>
/// <remarks>
/// ICMP reports and other transient receive errors (unreachable networks, no buffer space) are counted and skipped.
/// The loop ends when the socket is disposed (<see cref="Completion"/> then completes), or on an unexpected socket error
/// or an exception from the receiver (<see cref="Completion"/> then faults with it).
/// </remarks>
public sealed class UdpReceiveLoop : IDisposable
{
    private readonly UdpDatagramSocket _socket;
    private readonly IDatagramReceiver _receiver;
    private readonly DatagramBatch _batch;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _datagrams;
    private long _batches;
    private long _transientErrors;

    internal UdpReceiveLoop(UdpDatagramSocket socket, IDatagramReceiver receiver, DatagramBatch batch, string threadName)
    {
        _socket = socket;
        _receiver = receiver;
        _batch = batch;
        _thread = new Thread(Run) { IsBackground = true, Name = threadName };
    }

    /// <summary>Completes when the loop has ended: successfully after disposal, faulted after an unexpected error.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Datagrams handed to the receiver so far.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _datagrams);

    /// <summary>Wakeups (receive calls that returned datagrams) so far; datagrams per batch is <see cref="DatagramsReceived"/> divided by this.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Transient receive errors skipped so far (ICMP reports are counted by <see cref="UdpDatagramSocket.IgnoredIcmpErrors"/>).</summary>
    public long TransientErrors => Interlocked.Read(ref _transientErrors);

    internal void Start() => _thread.Start();

    /// <summary>Disposes the socket, which stops the loop, and waits (up to 5 s) for the thread to end.</summary>
    public void Dispose()
    {
        _socket.Dispose();
        WaitForExit(TimeSpan.FromSeconds(5));
    }

    internal void WaitForExit(TimeSpan timeout)
    {
        if (Thread.CurrentThread != _thread && _thread.IsAlive) _thread.Join(timeout);
    }

    private void Run()
    {
        Exception? fault = null;
        try
        {
            while (!_socket.IsDisposed)
            {
                int count;
                try
                {
                    count = _socket.Receive(_batch);
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (SocketException) when (_socket.IsDisposed)
                {
                    break;
                }
                catch (SocketException e) when (IsTransient(e.SocketErrorCode))
                {
                    Interlocked.Increment(ref _transientErrors);
                    continue;
                }

                if (count == 0) continue;
                for (int i = 0; i < count; i++)
                    _receiver.OnDatagram(_batch.GetData(i), _batch.GetRemote(i), _batch.GetMetadata(i));
                Interlocked.Add(ref _datagrams, count);
                Interlocked.Increment(ref _batches);
                _receiver.OnBatchCompleted();
            }
        }
        catch (Exception e)
        {
            fault = e;
        }

        if (fault is null) _completion.TrySetResult();
        else _completion.TrySetException(fault);
    }

    private static bool IsTransient(SocketError error) => error is
        SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.NetworkUnreachable or
        SocketError.HostUnreachable or SocketError.NetworkReset or SocketError.NoBufferSpaceAvailable or
        SocketError.MessageSize or SocketError.Interrupted or SocketError.TimedOut;
}
