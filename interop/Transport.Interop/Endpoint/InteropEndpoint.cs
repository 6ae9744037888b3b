using System.Runtime.InteropServices;

namespace Transport.Interop.Endpoint;

/// <summary>
/// The runner-contract entry point (TESTCASES.md §2): ROLE and TESTCASE pick the client or server behaviour; exit 0
/// on success, 1 on failure, 127 for a test case this endpoint does not support.
/// </summary>
public static class InteropEndpoint
{
    /// <summary>Exit code: the test passed (client) or the server was stopped.</summary>
    public const int Success = 0;

    /// <summary>Exit code: the test failed.</summary>
    public const int Failure = 1;

    /// <summary>Exit code: the runner's "unsupported test case".</summary>
    public const int Unsupported = 127;

    /// <summary>Runs the role <paramref name="config"/> names; a server runs until <paramref name="cancellationToken"/> fires (or SIGTERM/SIGINT when run from Main).</summary>
    public static async Task<int> RunAsync(EndpointConfig config, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        switch (config.Role)
        {
            case "client":
            {
                InteropTestCase? testCase = InteropTestCase.ForClient(config.TestCase);
                if (testCase is null)
                {
                    log.WriteLine($"client: test case '{config.TestCase}' is not supported.");
                    return Unsupported;
                }
                return await InteropClient.RunAsync(config, testCase, log, cancellationToken).ConfigureAwait(false);
            }
            case "server":
            {
                InteropTestCase? testCase = InteropTestCase.ForServer(config.TestCase);
                if (testCase is null)
                {
                    log.WriteLine($"server: test case '{config.TestCase}' is not supported.");
                    return Unsupported;
                }
                if (InteropWarmUp.Enabled)
                {
                    InteropWarmUp.Outcome warm = await InteropWarmUp.RunAsync(config, testCase, cancellationToken).ConfigureAwait(false);
                    log.WriteLine($"server: {warm}");
                }
                await using InteropServer server = await InteropServer.StartAsync(config, testCase, log, cancellationToken).ConfigureAwait(false);
                log.WriteLine($"server: {testCase.Name} on {server.LocalEndPoint}, serving {config.Www} (ALPN h3 and hq-interop)");
                try { await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                log.WriteLine($"server: stopping after {server.ConnectionsAccepted} connection(s)");
                return Success;
            }
            default:
                log.WriteLine($"ROLE must be 'client' or 'server', not '{config.Role}'.");
                return config.TestCase.Length == 0 || InteropTestCase.ForClient(config.TestCase) is null ? Unsupported : Failure;
        }
    }

    /// <summary>Main's body: reads the environment, stops a server on SIGTERM/SIGINT.</summary>
    public static int Run()
    {
        EndpointConfig config;
        try { config = EndpointConfig.FromEnvironment(); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return Failure;
        }
        TextWriter log = TextWriter.Synchronized(Console.Error);
        return RunUntilSignal(token =>
        {
            try
            {
                return RunAsync(config, log, token).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                log.WriteLine($"{config.Role}: {e.GetType().Name}: {e.Message}");
                return Failure;
            }
        });
    }

    /// <summary>Runs <paramref name="body"/> with a token that SIGTERM or SIGINT cancels.</summary>
    public static int RunUntilSignal(Func<CancellationToken, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        return body(stop.Token);
    }
}
