using System.Collections.Concurrent;
using System.Diagnostics;

namespace Transport.Interop.Peers;

/// <summary>
/// A peer program run as a child process: stdout and stderr copied to files, killed with its whole process tree on
/// <see cref="Dispose"/>, on a missed deadline, and (as a last resort) when this process exits, so that no peer
/// outlives the test or run that started it.
/// </summary>
public sealed class PeerProcess : IDisposable
{
    private const string TimeoutPath = "/usr/bin/timeout";
    private static readonly ConcurrentDictionary<PeerProcess, byte> Live = new();
    private static int _exitHookInstalled;

    private readonly Process _process;
    private readonly FileStream _stdout;
    private readonly FileStream _stderr;
    private readonly Task _copyStdout;
    private readonly Task _copyStderr;
    private int _disposed;

    private PeerProcess(Process process, FileStream stdout, FileStream stderr, string commandLine)
    {
        _process = process;
        _stdout = stdout;
        _stderr = stderr;
        CommandLine = commandLine;
        _copyStdout = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        _copyStderr = process.StandardError.BaseStream.CopyToAsync(stderr);
    }

    /// <summary>The command as asked for, for logs (arguments quoted where needed; without a <c>timeout</c> wrapper).</summary>
    public string CommandLine { get; }

    /// <summary>The operating-system process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has exited (or was killed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once exited; null while running.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => _process.WaitForExitAsync();

    /// <summary>Path of the file receiving the process's stdout.</summary>
    public string StandardOutputPath => _stdout.Name;

    /// <summary>Path of the file receiving the process's stderr.</summary>
    public string StandardErrorPath => _stderr.Name;

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> (each passed as one argv entry, no shell),
    /// writing its output to <paramref name="stdoutPath"/> and <paramref name="stderrPath"/>. Entries of
    /// <paramref name="environment"/> are set (a null value removes the variable).
    /// </summary>
    /// <remarks>
    /// With <paramref name="hardLimit"/>, the program runs under coreutils <c>timeout</c> (when present), which kills
    /// it after that long even if this process died without cleaning up (a crashed or killed test host).
    /// </remarks>
    public static PeerProcess Start(string fileName, IReadOnlyList<string> arguments, string stdoutPath, string stderrPath,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? hardLimit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentException.ThrowIfNullOrEmpty(stdoutPath);
        ArgumentException.ThrowIfNullOrEmpty(stderrPath);
        if (hardLimit is TimeSpan limit && limit <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(hardLimit), limit, "The hard limit must be positive.");
        InstallExitHook();

        string commandLine = FormatCommandLine(fileName, arguments);
        if (hardLimit is TimeSpan l && File.Exists(TimeoutPath))
        {
            var wrapped = new List<string>(arguments.Count + 4)
            {
                "--kill-after=2s", ((long)Math.Ceiling(l.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) + "s", fileName,
            };
            wrapped.AddRange(arguments);
            fileName = TimeoutPath;
            arguments = wrapped;
        }

        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (KeyValuePair<string, string?> kv in environment)
            {
                if (kv.Value is null) psi.Environment.Remove(kv.Key);
                else psi.Environment[kv.Key] = kv.Value;
            }
        }

        // Unbuffered: what the program wrote is in the file as soon as the copy loop has it, so a running server's log
        // can be read (the pipe's own buffer still delays it; stop the server for a complete log).
        var stdout = new FileStream(stdoutPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 0, useAsync: true);
        var stderr = new FileStream(stderrPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 0, useAsync: true);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
        }
        catch
        {
            stdout.Dispose();
            stderr.Dispose();
            throw;
        }
        process.StandardInput.Close();
        var peer = new PeerProcess(process, stdout, stderr, commandLine);
        Live.TryAdd(peer, 0);
        return peer;
    }

    /// <summary>
    /// Waits until the process exits or <paramref name="deadline"/> passes; on the deadline (or cancellation) the
    /// process tree is killed. Returns the exit code, or null when it had to be killed. Output files are complete
    /// when this returns.
    /// </summary>
    public async Task<int?> WaitForExitAsync(TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(deadline);
        bool killed = false;
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            killed = true;
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        await FlushOutputAsync().ConfigureAwait(false);
        return killed ? null : _process.ExitCode;
    }

    /// <summary>Kills the process and all its children if still running. Never throws.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { /* already gone */ }
        catch (System.ComponentModel.Win32Exception) { /* already gone */ }
    }

    /// <summary>Returns up to the last <paramref name="maxChars"/> characters of the stderr file (for messages).</summary>
    public string ReadStandardErrorTail(int maxChars = 2000) => ReadTail(StandardErrorPath, maxChars);

    internal static string ReadTail(string path, int maxChars)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            long start = Math.Max(0, fs.Length - maxChars);
            fs.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(fs);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private async Task FlushOutputAsync()
    {
        try
        {
            await Task.WhenAll(_copyStdout, _copyStderr).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception) { /* a grandchild may hold the pipe; the files have what arrived */ }
        try
        {
            await _stdout.FlushAsync().ConfigureAwait(false);
            await _stderr.FlushAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Kills the process tree if still running and closes the output files.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Live.TryRemove(this, out _);
        Kill();
        try
        {
            _process.WaitForExit(5000);
            Task.WhenAll(_copyStdout, _copyStderr).Wait(TimeSpan.FromSeconds(5));
        }
        catch (Exception) { /* best effort */ }
        _stdout.Dispose();
        _stderr.Dispose();
        _process.Dispose();
    }

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) != 0) return;
        AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
        {
            foreach (PeerProcess p in Live.Keys) p.Kill();
        };
    }

    private static string FormatCommandLine(string fileName, IReadOnlyList<string> arguments)
    {
        var parts = new List<string>(arguments.Count + 1) { Quote(fileName) };
        foreach (string a in arguments) parts.Add(Quote(a));
        return string.Join(' ', parts);
    }

    private static string Quote(string s) =>
        s.Length > 0 && s.AsSpan().IndexOfAny(" \t\"'$\\;&|<>()*?[]{}") < 0 ? s : "'" + s.Replace("'", "'\\''") + "'";
}
