using System.Threading.Tasks.Sources;

namespace Transport.Quic.Tests.Api;

public class StreamSignalTests
{
    [Fact]
    public async Task Set_CompletesTheArmedWait_AndASetWithoutAWaiterIsNotRemembered()
    {
        var signal = new StreamSignal();
        signal.Set(); // nobody waits: nothing happens, and the next wait is not completed by it
        var wait = signal.Arm("read");
        Assert.False(wait.IsCompleted);
        signal.Set();
        await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        signal.Set(); // the wait was completed: a second Set does nothing
    }

    [Fact]
    public async Task TheSignal_IsReused_ForManyWaits()
    {
        var signal = new StreamSignal();
        for (int i = 0; i < 100; i++)
        {
            var wait = signal.Arm("read");
            Assert.False(wait.IsCompleted);
            signal.Set();
            await wait;
        }
    }

    [Fact]
    public async Task Cancellation_FailsTheWait_AndALaterSetDoesNotDisturbTheNextWait()
    {
        var signal = new StreamSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.Arm("read");
        using (signal.RegisterCancellation(cts.Token))
        {
            cts.Cancel();
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
            Assert.Equal(cts.Token, e.CancellationToken);
        }
        signal.Set(); // late: for the cancelled wait, which is already over
        var next = signal.Arm("read");
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AnAlreadyCancelledToken_FailsTheWaitAtOnce()
    {
        var signal = new StreamSignal();
        var wait = signal.Arm("write");
        using (signal.RegisterCancellation(new CancellationToken(canceled: true)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
    }

    [Fact]
    public void ASecondWait_WhileTheFirstIsOutstanding_Throws()
    {
        var signal = new StreamSignal();
        _ = signal.Arm("read");
        var e = Assert.Throws<InvalidOperationException>(() => signal.Arm("read"));
        Assert.Contains("read", e.Message);
    }

    [Fact]
    public async Task SetRacingCancellation_CompletesTheWaitExactlyOnce()
    {
        var signal = new StreamSignal();
        for (int i = 0; i < 200; i++)
        {
            using var cts = new CancellationTokenSource();
            var wait = signal.Arm("read");
            using (signal.RegisterCancellation(cts.Token))
            {
                var cancel = Task.Run(cts.Cancel);
                signal.Set();
                await cancel.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.True(wait.IsCompleted);
                try
                {
                    await wait;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    [Fact]
    public async Task WhileDeferring_SetWaitsForCompleteDeferred_WhichRunsTheContinuationOnItsThread()
    {
        var signal = new StreamSignal();
        int ranOn = 0;
        OnCompleted(signal.Arm("read"), id => ranOn = id);
        StreamSignal.BeginDeferring();
        try
        {
            signal.Set();
            Assert.Equal(0, Volatile.Read(ref ranOn)); // only recorded
        }
        finally
        {
            StreamSignal.CompleteDeferred();
        }
        Assert.Equal(Environment.CurrentManagedThreadId, ranOn); // inline, before CompleteDeferred returned

        // The next wait, outside a deferral, resumes asynchronously again (never inside Set on this thread).
        using var insideSet = new ThreadLocal<bool>();
        var resumedInsideSet = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        OnCompleted(signal.Arm("read"), _ => resumedInsideSet.SetResult(insideSet.Value));
        insideSet.Value = true;
        signal.Set();
        insideSet.Value = false;
        Assert.False(await resumedInsideSet.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>Runs <paramref name="then"/> with the resuming thread's id when <paramref name="wait"/> completes (no context captured).</summary>
    private static void OnCompleted(ValueTask wait, Action<int> then)
    {
        var awaiter = wait.ConfigureAwait(false).GetAwaiter();
        awaiter.UnsafeOnCompleted(() =>
        {
            awaiter.GetResult();
            then(Environment.CurrentManagedThreadId);
        });
    }

    [Fact]
    public async Task ADeferredSet_WinsOverALaterCancellation()
    {
        var signal = new StreamSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.Arm("read");
        using (signal.RegisterCancellation(cts.Token))
        {
            StreamSignal.BeginDeferring();
            try
            {
                signal.Set(); // claims the wait (a read may have copied its bytes already): the cancellation comes too late
                cts.Cancel();
                Assert.False(wait.IsCompleted);
            }
            finally
            {
                StreamSignal.CompleteDeferred();
            }
            await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        var next = signal.Arm("read");
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TryClaim_AfterTheCancellation_IsFalse_AndSetIsThenHarmless()
    {
        var signal = new StreamSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.Arm("read");
        using (signal.RegisterCancellation(cts.Token))
        {
            cts.Cancel();
            Assert.False(signal.TryClaim()); // the waiter was cancelled: a read must not consume bytes for it
            signal.Set();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
        }
        Assert.False(signal.TryClaim()); // nothing armed
    }

    [Fact]
    public void CompleteDeferred_WithoutDeferredWaits_DoesNothing_AndEndsTheDeferral()
    {
        StreamSignal.BeginDeferring();
        StreamSignal.CompleteDeferred();
        var signal = new StreamSignal();
        var wait = signal.Arm("read");
        signal.Set(); // not deferred any more: completes at once
        Assert.True(wait.IsCompleted);
    }
}
