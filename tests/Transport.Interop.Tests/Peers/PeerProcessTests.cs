using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

public sealed class PeerProcessTests
{
    [Fact]
    public async Task Output_goes_to_files_and_the_exit_code_is_kept()
    {
        using var dir = new PeerTestDirectory("proc");
        using var p = PeerProcess.Start("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"],
            Path.Combine(dir.Path, "o"), Path.Combine(dir.Path, "e"));
        Assert.Equal(3, await p.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("out\n", File.ReadAllText(p.StandardOutputPath));
        Assert.Equal("err\n", File.ReadAllText(p.StandardErrorPath));
        Assert.Equal("/bin/sh -c 'echo out; echo err >&2; exit 3'", p.CommandLine);
    }

    [Fact]
    public async Task Missed_deadline_kills_the_whole_tree()
    {
        using var dir = new PeerTestDirectory("proc");
        string pidFile = Path.Combine(dir.Path, "child.pid");
        using var p = PeerProcess.Start("/bin/sh", ["-c", $"sleep 60 & echo $! > '{pidFile}'; wait"],
            Path.Combine(dir.Path, "o"), Path.Combine(dir.Path, "e"));
        while (!File.Exists(pidFile) || File.ReadAllText(pidFile).Trim().Length == 0) await Task.Yield();
        int child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Null(await p.WaitForExitAsync(TimeSpan.FromMilliseconds(200)));
        Assert.True(p.HasExited);
        Assert.True(await GoneAsync(child), $"grandchild {child} survived");
    }

    [Fact]
    public async Task Hard_limit_ends_the_program_without_our_help()
    {
        if (!File.Exists("/usr/bin/timeout")) return; // the limit is a coreutils feature
        using var dir = new PeerTestDirectory("proc");
        using var p = PeerProcess.Start("/bin/sleep", ["60"], Path.Combine(dir.Path, "o"), Path.Combine(dir.Path, "e"),
            hardLimit: TimeSpan.FromSeconds(1));
        Assert.Equal(124, await p.WaitForExitAsync(TimeSpan.FromSeconds(30))); // timeout(1)'s code: it killed sleep
    }

    private static async Task<bool> GoneAsync(int pid)
    {
        for (int i = 0; i < 100; i++)
        {
            string stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat)) return true;
            try
            {
                if (File.ReadAllText(stat).Split(' ')[2] == "Z") return true; // zombie: dead, waiting for its reaper
            }
            catch (IOException) { return true; }
            await Task.Delay(50);
        }
        return false;
    }
}
