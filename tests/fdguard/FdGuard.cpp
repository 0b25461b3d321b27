// Preloaded into every test process (and the tenantrelay processes they start) by CTest: aborts
// the process when code outside SQLite opens a descriptor of a file this process already holds
// open, such as the database, its -wal or its -shm while a connection is open.
//
// Why: on Linux, closing any descriptor of a file drops every POSIX lock the process holds on
// it. A descriptor opened and closed behind SQLite's back therefore silently releases the
// relay's locks; another process's last connection then checkpoints and deletes the WAL under
// the live relay, and its commits go nowhere (design.md, "Several processes, one database").
// SQLite itself keeps such descriptors open until the last connection closes, so its own opens
// are allowed; every other caller (Qt's QFile, fopen, our code) is checked.
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

thread_local bool t_inside = false;

bool inSqlite(const void *address)
{
    Dl_info info;
    return dladdr(address, &info) && info.dli_fname && std::strstr(info.dli_fname, "libsqlite3");
}

// SQLite's own open, directly or through a sanitizer's interceptor (which sits between SQLite
// and this library in sanitized builds): a few frames up the stack are in libsqlite3.
bool calledFromSqlite(const void *caller)
{
    if (inSqlite(caller))
        return true;
    void *frames[12];
    const int depth = backtrace(frames, 12);
    for (int i = 0; i < depth; ++i)
        if (inSqlite(frames[i]))
            return true;
    return false;
}

// True when a descriptor of this process refers to the same file as `target`.
bool alreadyOpen(const struct stat &target)
{
    DIR *fds = opendir("/proc/self/fd");
    if (!fds)
        return false;
    bool found = false;
    const int own = dirfd(fds);
    while (const dirent *entry = readdir(fds)) {
        char *end = nullptr;
        const long fd = std::strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end || fd == own)
            continue;
        struct stat st;
        if (fstat(int(fd), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == target.st_dev &&
            st.st_ino == target.st_ino) {
            found = true;
            break;
        }
    }
    closedir(fds);
    return found;
}

void check(int dirFd, const char *path, const void *caller)
{
    if (t_inside || !path)
        return;
    t_inside = true;
    struct stat st;
    if (fstatat(dirFd, path, &st, 0) == 0 && S_ISREG(st.st_mode) && alreadyOpen(st) &&
        !calledFromSqlite(caller)) {
        std::fprintf(stderr,
                     "tenantrelay fd guard: %s is already open in this process (a database "
                     "held by SQLite?) and is opened again outside SQLite; closing that "
                     "descriptor would drop the process's locks on it. Caller:\n",
                     path);
        void *frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
        std::abort();
    }
    t_inside = false;
}

template <typename Fn> Fn real(const char *name)
{
    return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

mode_t modeArg(int flags, va_list args)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? mode_t(va_arg(args, int)) : 0;
}

} // namespace

extern "C" {

// Tests ask whether the guard is loaded (dlsym) rather than trusting the environment.
int tenantrelay_fdguard_active = 1;

#define TR_CALLER __builtin_extract_return_addr(__builtin_return_address(0))

int open(const char *path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    const mode_t mode = modeArg(flags, args);
    va_end(args);
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<int (*)(const char *, int, ...)>("open");
    return fn(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    const mode_t mode = modeArg(flags, args);
    va_end(args);
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<int (*)(const char *, int, ...)>("open64");
    return fn(path, flags, mode);
}

int openat(int dirFd, const char *path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    const mode_t mode = modeArg(flags, args);
    va_end(args);
    check(dirFd, path, TR_CALLER);
    static auto fn = real<int (*)(int, const char *, int, ...)>("openat");
    return fn(dirFd, path, flags, mode);
}

int openat64(int dirFd, const char *path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    const mode_t mode = modeArg(flags, args);
    va_end(args);
    check(dirFd, path, TR_CALLER);
    static auto fn = real<int (*)(int, const char *, int, ...)>("openat64");
    return fn(dirFd, path, flags, mode);
}

// _FORTIFY_SOURCE builds call these instead of open/openat.
int __open_2(const char *path, int flags)
{
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<int (*)(const char *, int)>("__open_2");
    return fn(path, flags);
}

int __open64_2(const char *path, int flags)
{
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<int (*)(const char *, int)>("__open64_2");
    return fn(path, flags);
}

int __openat_2(int dirFd, const char *path, int flags)
{
    check(dirFd, path, TR_CALLER);
    static auto fn = real<int (*)(int, const char *, int)>("__openat_2");
    return fn(dirFd, path, flags);
}

int __openat64_2(int dirFd, const char *path, int flags)
{
    check(dirFd, path, TR_CALLER);
    static auto fn = real<int (*)(int, const char *, int)>("__openat64_2");
    return fn(dirFd, path, flags);
}

int creat(const char *path, mode_t mode)
{
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<int (*)(const char *, mode_t)>("creat");
    return fn(path, mode);
}

int creat64(const char *path, mode_t mode)
{
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<int (*)(const char *, mode_t)>("creat64");
    return fn(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<FILE *(*)(const char *, const char *)>("fopen");
    return fn(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    check(AT_FDCWD, path, TR_CALLER);
    static auto fn = real<FILE *(*)(const char *, const char *)>("fopen64");
    return fn(path, mode);
}

} // extern "C"
