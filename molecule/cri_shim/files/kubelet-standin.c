/* STAND-IN for kubelet (test fixture of the cri_shim Molecule scenario): a process named kubelet
 * whose command line carries kubelet's flags, so the doctor reads the files and flags a running
 * kubelet uses. It only waits; it never talks to a runtime. */
#include <unistd.h>

int main(void)
{
    for (;;)
        pause();
}
