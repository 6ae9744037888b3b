using System.Diagnostics;
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
    private long _spinTicks;     // Stopwatch ticks of SpinTime; 0: no spin
    private long _spinHits;

    /// <summary>The longest <see cref="SpinTime"/>: 10 ms.</summary>
    public static readonly TimeSpan MaxSpinTime = TimeSpan.FromMilliseconds(10);

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

    /// <summary>
    /// Busy-poll before blocking (latency for CPU, as Linux SO_BUSY_POLL): after each batch was handed to the receiver
    /// (<see cref="IDatagramReceiver.OnBatchCompleted"/> has returned), the thread keeps asking the socket for datagrams
    /// without blocking, for up to this long, before it blocks in the kernel again. A datagram that arrives meanwhile is
    /// taken without a thread wake-up (on a host whose idle CPUs halt, tens of microseconds each). The price: the thread
    /// burns a CPU for up to this long after every batch, also when nothing comes. It spins only after a batch (an idle
    /// socket never spins), only while <see cref="IDatagramReceiver.SpinAllowed"/>, and stops at once on disposal.
    /// Between polls it spins briefly and, after a few rounds, yields to other ready threads of its CPU. Zero (the
    /// default) turns it off; it may be changed at any time and takes effect after the current batch.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than <see cref="MaxSpinTime"/>.</exception>
    public TimeSpan SpinTime
    {
        get => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _spinTicks));
        set
        {
            ValidateSpinTime(value, nameof(SpinTime));
            Interlocked.Exchange(ref _spinTicks, (long)(value.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));
        }
    }

    /// <summary>Batches taken by a spin (<see cref="SpinTime"/>) rather than after a blocking wait; part of <see cref="Batches"/>.</summary>
    public long SpinBatches => Interlocked.Read(ref _spinHits);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="spinTime"/> is zero to <see cref="MaxSpinTime"/>.</summary>
    /// <param name="spinTime">The value to check.</param>
    /// <param name="paramName">The name the exception reports.</param>
    public static void ValidateSpinTime(TimeSpan spinTime, string paramName)
    {
        if (spinTime < TimeSpan.Zero || spinTime > MaxSpinTime)
            throw new ArgumentOutOfRangeException(paramName, spinTime,
                $"A receive spin time must be zero (off) to {MaxSpinTime.TotalMilliseconds} ms, not {spinTime.TotalMicroseconds} µs.");
    }

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
            bool afterBatch = false; // a batch was just handed over: spin first, if SpinTime says so
            while (!_socket.IsDisposed)
            {
                int count = 0;
                try
                {
                    long spinTicks = afterBatch ? Interlocked.Read(ref _spinTicks) : 0;
                    if (spinTicks > 0 && _receiver.SpinAllowed && (count = Spin(spinTicks)) > 0)
                        Interlocked.Increment(ref _spinHits);
                    if (count == 0) count = _socket.Receive(_batch); // nothing came while spinning (or no spin): block
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
                    afterBatch = false;
                    continue;
                }
                afterBatch = false;
                if (count == 0) continue;

                for (int i = 0; i < count; i++)
                    _receiver.OnDatagram(_batch.GetData(i), _batch.GetRemote(i), _batch.GetMetadata(i));
                Interlocked.Add(ref _datagrams, count);
                Interlocked.Increment(ref _batches);
                _receiver.OnBatchCompleted();
                afterBatch = true;
            }
        }
        catch (Exception e)
        {
            fault = e;
        }

        if (fault is null) _completion.TrySetResult();
        else _completion.TrySetException(fault);
    }

    /// <summary>
    /// Non-blocking receives until one returns datagrams, <paramref name="spinTicks"/> (Stopwatch ticks) have passed
    /// or the socket was disposed. Returns the datagram count (0: nothing came, block now).
    /// </summary>
    private int Spin(long spinTicks)
    {
        long deadline = Stopwatch.GetTimestamp() + spinTicks;
        var wait = new SpinWait();
        while (true)
        {
            int count = _socket.TryReceive(_batch);
            if (count > 0 || _socket.IsDisposed || Stopwatch.GetTimestamp() >= deadline) return count;
            // A short pause between system calls; after ten rounds SpinOnce alternates it with Thread.Yield / Sleep(0)
            // (never Sleep(1), which would sleep a whole timer tick), so a ready thread of this CPU (the peer's, the
            // application's) is not held off by the spin.
            wait.SpinOnce(sleep1Threshold: -1);
        }
    }

    private static bool IsTransient(SocketError error) => error is
        SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.NetworkUnreachable or
        SocketError.HostUnreachable or SocketError.NetworkReset or SocketError.NoBufferSpaceAvailable or
        SocketError.MessageSize or SocketError.Interrupted or SocketError.TimedOut;
}
