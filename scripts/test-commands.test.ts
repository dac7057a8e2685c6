/** The node side of the torchvision tests: without torch they must fail saying what to install. */
import { describe, expect, it } from 'vitest';
import { torchPython } from './test-commands';

describe('torchPython', () => {
  it('names the apt packages when no candidate python has torch and torchvision', () => {
    expect(() => torchPython(['/nonexistent/python3', undefined])).toThrow(
      /no python with torch and torchvision was found \(tried \/nonexistent\/python3\).*apt-get install python3-torch python3-torchvision/);
  });
});
